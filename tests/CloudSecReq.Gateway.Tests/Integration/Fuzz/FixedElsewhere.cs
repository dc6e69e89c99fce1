using System.Text;

namespace CloudSecReq.Gateway.Tests.Integration.Fuzz;

/// <summary>
/// Inputs that hit bugs of issue 11 that other branches fix; the fuzzer does not generate them, so
/// that its findings are new ones. Remove an entry once its fix is merged (and let the fuzzer check it).
/// </summary>
internal static class FixedElsewhere
{
    /// <summary>Non-ASCII <c>x-amz-meta-*</c> values: stored, then a 500 on GET/HEAD.</summary>
    public static bool NonAsciiUserMetadata(string headerName, string value) =>
        headerName.StartsWith("x-amz-meta-", StringComparison.OrdinalIgnoreCase) && value.Any(c => c > 127);

    /// <summary>Object keys with control characters: a 500 when the bucket is listed.</summary>
    public static bool ControlCharacterInObjectKey(string objectKey) => objectKey.Any(char.IsControl);

    /// <summary>CR, LF or NUL in <c>response-*</c> query parameters (response header injection).</summary>
    public static bool BreakingCharacterInResponseParameter(string name, string value) =>
        name.StartsWith("response-", StringComparison.OrdinalIgnoreCase) && value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0;

    /// <summary>Object keys whose percent-decoded bytes are not valid UTF-8.</summary>
    public static bool InvalidUtf8ObjectKey(ReadOnlySpan<byte> objectKeyBytes) => !System.Text.Unicode.Utf8.IsValid(objectKeyBytes);

    /// <summary>Deeply nested XML bodies (the XML readers' depth).</summary>
    public static bool DeeplyNestedXml(string xml) => xml.Split('<').Length > 64;

    /// <summary>
    /// <c>x-amz-*</c> headers left out of the signature (accepted although unsigned). The fuzzer signs
    /// every header it adds, and never mutates header names into an <c>x-amz-</c> prefix.
    /// </summary>
    public static bool UnsignedAmzHeader(string headerName, bool signed) =>
        !signed && headerName.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase);

    /// <summary>Invalid UTF-8 in KMS JSON bodies. The fuzzer sends no KMS requests (X-Amz-Target) at all.</summary>
    public static bool InvalidUtf8KmsJson(string? amzTarget) => amzTarget is not null;
}
