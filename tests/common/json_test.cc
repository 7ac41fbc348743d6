// The JSON layer: the one escaper, the writer, and the reader with field-path errors.
#include "common/json.h"
#include "common/json_value.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>

namespace riposte::json {
namespace {

TEST(JsonEscapeTest, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(Escape("a\"b\\c"), "a\\\"b\\\\c");
  EXPECT_EQ(Escape("x\ny\r\t\b\f"), "x\\ny\\r\\t\\b\\f");
  EXPECT_EQ(Escape(std::string_view("\0z", 2)), "\\u0000z");
  EXPECT_EQ(Escape("plain text, then \x1f and DEL\x7f."), "plain text, then \\u001f and DEL\\u007f.");
  EXPECT_EQ(Escape("\x1a\x0b"), "\\u001a\\u000b");  // hex digits above 9 in lower case
  EXPECT_EQ(Escape(""), "");
  EXPECT_EQ(Quote("a\"b\n\x01"), "\"a\\\"b\\n\\u0001\"");
}

TEST(JsonEscapeTest, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(Escape("Zo\xc3\xab \xe6\xbc\xa2 \xf0\x9f\x98\x80"), "Zo\xc3\xab \xe6\xbc\xa2 \xf0\x9f\x98\x80");
  EXPECT_EQ(Escape("a\xff" "b"), "a\\ufffdb");
  EXPECT_EQ(Escape("\xe6\xbc"), "\\ufffd\\ufffd");          // truncated sequence
  EXPECT_EQ(Escape("\xc0\x80"), "\\ufffd\\ufffd");          // overlong NUL
  EXPECT_EQ(Escape("\xed\xa0\x80"), "\\ufffd\\ufffd\\ufffd");  // UTF-16 surrogate
  EXPECT_EQ(Escape("\xf4\x90\x80\x80"), "\\ufffd\\ufffd\\ufffd\\ufffd");  // above U+10FFFF
}

TEST(JsonEscapeTest, EscapesCharactersThatForgeDisplay) {
  EXPECT_EQ(Escape("a\xc2\x85" "b"), "a\\u0085b");           // NEL (C1)
  EXPECT_EQ(Escape("\xe2\x80\xa8\xe2\x80\xa9"), "\\u2028\\u2029");
  EXPECT_EQ(Escape("evil\xe2\x80\xaetxt.exe"), "evil\\u202etxt.exe");  // right-to-left override
  EXPECT_EQ(Escape("\xe2\x80\x8b\xef\xbb\xbf"), "\\u200b\\ufeff");
}

// A byte at a time, the obvious way: what the word-at-a-time scan must equal. Covers ASCII,
// invalid bytes and the multi-byte sequences the tests below use (none of them deceptive).
std::string ReferenceEscape(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size();) {
    auto c = static_cast<unsigned char>(in[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f') {
      out += c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : c == '\b' ? "\\b" : "\\f";
      ++i;
    } else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
      ++i;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
    } else {
      size_t n = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
      bool ok = n > 0 && i + n <= in.size();
      for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(in[i + k]) & 0xC0) == 0x80;
      if (ok) {
        out.append(in.substr(i, n));
        i += n;
      } else {
        out += "\\ufffd";
        ++i;
      }
    }
  }
  return out;
}

TEST(JsonEscapeTest, EverySpecialByteAtEveryOffsetOfAWord) {
  for (int c = 0; c < 256; ++c) {
    for (size_t at = 0; at < 17; ++at) {
      std::string s(20, 'a');
      s[at] = static_cast<char>(c);
      ASSERT_EQ(Escape(s), ReferenceEscape(s)) << "byte " << c << " at " << at;
    }
  }
}

TEST(JsonEscapeTest, MatchesTheByteAtATimeEscaperOnRandomText) {
  std::mt19937 rng(7);
  const std::string alphabet = std::string("abcXYZ019 .,:/-_{}[]\"\\\n\t\x01\x7f") + "\xc3\xab\xe6\xbc\xa2\xff\x80";
  for (int round = 0; round < 2000; ++round) {
    std::string s;
    size_t len = rng() % 64;
    for (size_t i = 0; i < len; ++i) s += alphabet[rng() % alphabet.size()];
    ASSERT_EQ(Escape(s), ReferenceEscape(s)) << round;
    std::string appended = "prefix:";
    AppendEscaped(appended, s);
    ASSERT_EQ(appended, "prefix:" + ReferenceEscape(s));
  }
}

TEST(JsonEscapeTest, OutputParsesBackToTheInputForValidText) {
  const std::string in = "quote\" back\\ nl\n tab\t nul" + std::string(1, '\0') + " \xc3\xa9 \xe2\x80\xae end";
  auto parsed = Value::parse(Quote(in));
  ASSERT_TRUE(parsed.is_string());
  EXPECT_EQ(parsed.as_string(), in);
}

TEST(JsonWriterTest, PlacesCommasAndColons) {
  Writer w;
  w.BeginObject()
      .Field("name", "a\"b")
      .Field("n", int64_t{-3})
      .Field("ok", true)
      .Key("list").BeginArray().Int(1).String("x").Null().BeginObject().EndObject().EndArray()
      .Key("nested").BeginObject().Field("k", "v").EndObject()
      .Key("u").Uint(18446744073709551615ull)
      .Key("d").Double(0.5)
      .Key("raw").Raw("[true]")
      .EndObject();
  EXPECT_EQ(w.str(),
            R"({"name":"a\"b","n":-3,"ok":true,"list":[1,"x",null,{}],"nested":{"k":"v"},)"
            R"("u":18446744073709551615,"d":0.5,"raw":[true]})");
  EXPECT_NO_THROW(Value::parse(w.str()));
}

TEST(JsonWriterTest, NonFiniteDoublesAreNull) {
  Writer w;
  w.BeginArray().Double(1.0 / 0.0).EndArray();
  EXPECT_EQ(w.str(), "[null]");
}

TEST(JsonWriterTest, SerializeRoundTripsAValue) {
  auto v = Value::parse(R"({"a":[1,-2,3.25,"x\ny",true,null,{"b":{}}],"big":18446744073709551615})");
  auto text = Serialize(v);
  EXPECT_EQ(Value::parse(text), v);
  EXPECT_NE(text.find(R"("x\ny")"), std::string::npos);
}

TEST(JsonReaderTest, LenientReadsTreatMissingNullAndWrongTypesAsAbsent) {
  auto v = Value::parse(R"({"metadata":{"name":"web","labels":{"a":"1","b":2},"generation":3,"gone":null},
                            "spec":{"list":["x",1,"y"],"flag":true}})");
  Reader r(v);
  EXPECT_EQ(r["metadata"]["name"].String(), "web");
  EXPECT_EQ(r["metadata"]["generation"].Int(), 3);
  EXPECT_EQ(r["metadata"]["name"].Int(), std::nullopt);
  EXPECT_EQ(r["metadata"]["gone"].String(), std::nullopt);
  EXPECT_FALSE(r["metadata"]["gone"].exists());
  EXPECT_EQ(r.At({"missing", "deeper"}).StringOr("def"), "def");
  EXPECT_EQ(r["metadata"]["labels"].StringMap(), (std::map<std::string, std::string>{{"a", "1"}}));
  EXPECT_EQ(r["spec"]["list"].StringList(), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(r["spec"]["list"][2].String(), "y");
  EXPECT_FALSE(r["spec"]["list"][9].exists());
  EXPECT_EQ(GetBool(v, {"spec", "flag"}), true);
  EXPECT_EQ(GetString(v, {"spec", "flag"}), std::nullopt);
  EXPECT_EQ(Find(v, {"spec", "nope"}), nullptr);
}

TEST(JsonReaderTest, StrictReadsNameTheFieldPathAndBothTypes) {
  auto v = Value::parse(R"({"spec":{"actions":[{"type":"event"},{"type":"label"},
      {"type":"terminate","gracePeriodSeconds":"now"}],"mode":1,"labels":{"riposte.io/x":3}}})");
  Errors errors;
  Reader r(v, &errors);
  EXPECT_EQ(r["spec"]["actions"][2]["gracePeriodSeconds"].Int(), std::nullopt);
  EXPECT_EQ(r["spec"]["mode"].String(), std::nullopt);
  EXPECT_TRUE(r["spec"]["actions"].Array());
  EXPECT_FALSE(r["spec"]["mode"].Object());
  r["spec"]["labels"].StringMap();
  EXPECT_FALSE(r["spec"]["missing"].Required());
  ASSERT_EQ(errors.messages().size(), 5u) << errors.Join();
  EXPECT_EQ(errors.messages()[0], "spec.actions[2].gracePeriodSeconds: expected integer, got string");
  EXPECT_EQ(errors.messages()[1], "spec.mode: expected string, got integer");
  EXPECT_EQ(errors.messages()[2], "spec.mode: expected object, got integer");
  EXPECT_EQ(errors.messages()[3], R"(spec.labels["riposte.io/x"]: expected string, got integer)");
  EXPECT_EQ(errors.messages()[4], "spec.missing: required");
}

TEST(JsonReaderTest, StrictIntegersRejectFractionsAndOverflow) {
  auto v = Value::parse(R"({"a":1.5,"b":18446744073709551615,"c":-9223372036854775808})");
  Errors errors;
  Reader r(v, &errors);
  EXPECT_EQ(r["a"].Int(), std::nullopt);
  EXPECT_EQ(r["b"].Int(), std::nullopt);
  EXPECT_EQ(r["c"].Int(), INT64_MIN);
  ASSERT_EQ(errors.messages().size(), 2u);
  EXPECT_EQ(errors.messages()[0], "a: expected integer, got number");
  EXPECT_EQ(errors.messages()[1], "b: integer out of range");
}

TEST(JsonReaderTest, ErrorsAreCapped) {
  auto arr = Value::array();
  for (size_t i = 0; i < 1000; ++i) arr[i] = Value::number(static_cast<int>(i));
  Errors errors;
  Reader(arr, &errors, "list").StringList();
  EXPECT_EQ(errors.messages().size(), Errors::kMax);
  EXPECT_EQ(errors.size(), 1000u);
  EXPECT_NE(errors.Join().find("(and 936 more)"), std::string::npos);
}

TEST(JsonReaderTest, PathsQuoteKeysThatAreNotIdentifiers) {
  EXPECT_EQ(JoinPath("", "spec"), "spec");
  EXPECT_EQ(JoinPath("spec", "match"), "spec.match");
  EXPECT_EQ(JoinPath("metadata.labels", "app.kubernetes.io/name"), R"(metadata.labels["app.kubernetes.io/name"])");
  EXPECT_EQ(JoinPath("m", "a\"b"), R"(m["a\"b"])");
  EXPECT_EQ(JoinPath("spec.actions", size_t{3}), "spec.actions[3]");
}

}  // namespace
}  // namespace riposte::json
