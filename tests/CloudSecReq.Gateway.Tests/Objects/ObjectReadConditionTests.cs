using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Objects;

namespace CloudSecReq.Gateway.Tests.Objects;

public sealed class ObjectReadConditionTests
{
    private static readonly DateTimeOffset s_modified = new(2026, 12, 1, 10, 0, 0, 500, TimeSpan.Zero);
    private static readonly ObjectRecord s_record = new() { Bucket = "b", Key = "k", Size = 1, ETag = "\"abc\"", LastModified = s_modified, Segments = [] };
    private static readonly DateTimeOffset s_second = s_modified.AddMilliseconds(-500);

    [Fact]
    public void Check_NoConditions_ReadGoesAhead() => Assert.Null(new ObjectReadCondition(null, null, null, null).Check(s_record));

    [Fact]
    public void Check_IfMatchFails_IsPreconditionFailedOnIfMatch() =>
        Assert.Equal(("If-Match", false), new ObjectReadCondition("\"other\"", null, null, null).Check(s_record));

    [Fact]
    public void Check_IfMatchHolds_IgnoresIfUnmodifiedSince() =>
        Assert.Null(new ObjectReadCondition("\"abc\"", null, null, s_second.AddDays(-1)).Check(s_record));

    [Fact]
    public void Check_ModifiedAfterIfUnmodifiedSince_IsPreconditionFailed() =>
        Assert.Equal(("If-Unmodified-Since", false), new ObjectReadCondition(null, null, null, s_second.AddSeconds(-1)).Check(s_record));

    [Fact]
    public void Check_IfNoneMatchMatches_IsNotModified() =>
        Assert.Equal(("If-None-Match", true), new ObjectReadCondition(null, "\"abc\"", null, null).Check(s_record));

    [Fact]
    public void Check_IfNoneMatchDiffers_IgnoresIfModifiedSince() =>
        Assert.Null(new ObjectReadCondition(null, "\"other\"", s_second.AddDays(1), null).Check(s_record));

    [Fact]
    public void Check_IfModifiedSinceTheSameSecond_IsNotModified() =>
        // Last-Modified is sent to the second: a client echoing it back has the current object.
        Assert.Equal(("If-Modified-Since", true), new ObjectReadCondition(null, null, s_second, null).Check(s_record));

    [Fact]
    public void Check_IfMatchFailsAndIfNoneMatchMatches_FailsFirst() =>
        Assert.Equal(("If-Match", false), new ObjectReadCondition("\"other\"", "\"abc\"", null, null).Check(s_record));
}
