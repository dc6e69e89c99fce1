using CloudSecReq.Gateway.Objects;
using CloudSecReq.Gateway.S3;

namespace CloudSecReq.Gateway.Tests.S3;

public sealed class ObjectFailuresTests
{
    [Theory]
    [InlineData("NoSuchKey", "NoSuchKey", 404)]
    [InlineData("NoSuchUpload", "NoSuchUpload", 404)]
    [InlineData("InvalidPart", "InvalidPart", 400)]
    [InlineData("EntityTooSmall", "EntityTooSmall", 400)]
    [InlineData("PreconditionFailed", "PreconditionFailed", 412)]
    [InlineData("ConditionalConflict", "ConditionalRequestConflict", 409)]
    [InlineData("InvalidStorageClass", "InvalidStorageClass", 400)]
    [InlineData("StorageClassNotAllowed", "AccessDenied", 403)]
    [InlineData("RangeNotSatisfiable", "InvalidRange", 416)]
    [InlineData("PlacementRefused", "ServiceUnavailable", 503)]
    [InlineData("Unavailable", "ServiceUnavailable", 503)]
    [InlineData("KeptChanging", "SlowDown", 503)]
    public void ToS3_EachFailure_IsItsS3CodeAndStatus(string failure, string code, int status)
    {
        // The kinds by name: the enums are internal, the test's theory data public.
        var e = S3Errors.From(new ObjectException(Enum.Parse<ObjectFailure>(failure)));
        Assert.Equal(code, e.CodeName);
        Assert.Equal(status, e.Status);
    }

    [Fact]
    public void ToS3_EveryFailure_IsMapped() =>
        Assert.All(Enum.GetValues<ObjectFailure>(), f => S3Errors.Code(f));

    [Fact]
    public void ToS3_NoMessage_SendsTheCodesDefaultMessage() =>
        Assert.Equal(S3ErrorTable.Get(S3ErrorCode.NoSuchUpload).Message, S3Errors.From(new ObjectException(ObjectFailure.NoSuchUpload)).Message);

    [Fact]
    public void ToS3_MessageAndDetails_AreSentInOrder()
    {
        var e = S3Errors.From(new ObjectException(ObjectFailure.InvalidPart, "Part 3 can no longer be read.").With("PartNumber", "3").With("UploadId", "u"));
        Assert.Equal("Part 3 can no longer be read.", e.Message);
        Assert.Equal([new("PartNumber", "3"), new("UploadId", "u")], e.Details.ToList());
    }
}
