#include "kube/api_error.h"

#include <gtest/gtest.h>

namespace riposte::kube {
namespace {

TEST(ApiErrorTest, MapsStatusBodyWithDetailsAndCauses) {
  const char* body = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
    "message":"Pod \"x\" is invalid: spec.containers[0].image: Required value","reason":"Invalid",
    "details":{"name":"x","kind":"Pod","causes":[{"reason":"FieldValueRequired","message":"Required value",
    "field":"spec.containers[0].image"}]},"code":422})";
  ApiError e = ErrorFromResponse(422, body);
  EXPECT_EQ(e.kind, ErrorKind::kInvalid);
  EXPECT_TRUE(IsInvalid(e));
  EXPECT_EQ(e.code, 422);
  EXPECT_EQ(e.reason, "Invalid");
  EXPECT_EQ(e.details.name, "x");
  EXPECT_EQ(e.details.kind, "Pod");
  ASSERT_EQ(e.details.causes.size(), 1u);
  EXPECT_EQ(e.details.causes[0].field, "spec.containers[0].image");
  EXPECT_EQ(e.details.causes[0].type, "FieldValueRequired");
  EXPECT_FALSE(e.Retryable());
  EXPECT_NE(e.ToString().find("spec.containers[0].image"), std::string::npos);
}

TEST(ApiErrorTest, ReasonDistinguishesConflictFromAlreadyExists) {
  auto conflict = ErrorFromResponse(409, R"({"kind":"Status","reason":"Conflict","code":409})");
  auto exists = ErrorFromResponse(409, R"({"kind":"Status","reason":"AlreadyExists","code":409})");
  EXPECT_TRUE(IsConflict(conflict));
  EXPECT_TRUE(IsAlreadyExists(exists));
  EXPECT_FALSE(IsConflict(exists));
}

TEST(ApiErrorTest, ExpiredAndGoneBothMeanRelist) {
  EXPECT_TRUE(IsGone(ErrorFromResponse(410, R"({"kind":"Status","reason":"Expired","code":410})")));
  EXPECT_TRUE(IsGone(ErrorFromResponse(410, R"({"kind":"Status","reason":"Gone","code":410})")));
  // Watch ERROR events carry the code only inside the Status.
  ApiError e = ErrorFromResponse(0, R"({"kind":"Status","status":"Failure","message":"too old resource version","code":410})");
  EXPECT_TRUE(IsGone(e));
  EXPECT_EQ(e.code, 410);
}

TEST(ApiErrorTest, NonStatusBodiesFallBackToHttpCode) {
  ApiError html = ErrorFromResponse(502, "<html><body>Bad Gateway</body></html>");
  EXPECT_EQ(html.kind, ErrorKind::kServerError);
  EXPECT_TRUE(html.Retryable());
  EXPECT_NE(html.message.find("Bad Gateway"), std::string::npos);
  EXPECT_EQ(ErrorFromResponse(404, "").kind, ErrorKind::kNotFound);
  EXPECT_EQ(ErrorFromResponse(403, R"({"not":"a status"})").kind, ErrorKind::kForbidden);
  EXPECT_EQ(ErrorFromResponse(401, "Unauthorized\n").kind, ErrorKind::kUnauthorized);
  EXPECT_EQ(ErrorFromResponse(503, "").kind, ErrorKind::kServiceUnavailable);
  EXPECT_EQ(ErrorFromResponse(504, "").kind, ErrorKind::kTimeout);
  EXPECT_EQ(ErrorFromResponse(415, "").kind, ErrorKind::kUnsupportedMediaType);
  EXPECT_EQ(ErrorFromResponse(405, "").kind, ErrorKind::kMethodNotAllowed);
  EXPECT_EQ(ErrorFromResponse(400, "{").kind, ErrorKind::kBadRequest);  // malformed JSON
  EXPECT_EQ(ErrorFromResponse(418, "").kind, ErrorKind::kOther);
}

TEST(ApiErrorTest, NonStatusExcerptIsBoundedAndHasNoControlCharacters) {
  std::string big(10000, 'x');
  big[5] = '\n';
  ApiError e = ErrorFromResponse(500, big);
  EXPECT_LT(e.message.size(), 300u);
  EXPECT_EQ(e.message.find('\n'), std::string::npos);
}

TEST(ApiErrorTest, RetryAfterFromHeaderOrDetails) {
  auto a = ErrorFromResponse(429, R"({"kind":"Status","reason":"TooManyRequests","code":429})", "3");
  ASSERT_TRUE(a.retry_after.has_value());
  EXPECT_EQ(a.retry_after->count(), 3);
  EXPECT_TRUE(IsTooManyRequests(a));
  EXPECT_TRUE(a.Retryable());
  auto b = ErrorFromResponse(429, R"({"kind":"Status","reason":"TooManyRequests","details":{"retryAfterSeconds":7},"code":429})");
  ASSERT_TRUE(b.retry_after.has_value());
  EXPECT_EQ(b.retry_after->count(), 7);
  auto c = ErrorFromResponse(429, "", "soon");
  EXPECT_FALSE(c.retry_after.has_value());
  auto d = ErrorFromResponse(503, "", "Wed, 21 Oct 2015 07:28:00 GMT");  // in the past -> 0
  ASSERT_TRUE(d.retry_after.has_value());
  EXPECT_EQ(d.retry_after->count(), 0);
}

TEST(ApiErrorTest, ClientSideKindsAndNames) {
  EXPECT_TRUE(IsTransport(MakeError(ErrorKind::kTransport, "refused")));
  EXPECT_TRUE(MakeError(ErrorKind::kTransport, "refused").Retryable());
  EXPECT_FALSE(MakeError(ErrorKind::kDecode, "bad").Retryable());
  EXPECT_FALSE(MakeError(ErrorKind::kCancelled, "stop").Retryable());
  EXPECT_EQ(ErrorKindName(ErrorKind::kGone), "Gone");
}

}  // namespace
}  // namespace riposte::kube
