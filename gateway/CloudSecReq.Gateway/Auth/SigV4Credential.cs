namespace CloudSecReq.Gateway.Auth;

/// <summary>The Credential element of a SigV4 request: access key id and credential scope.</summary>
internal sealed record SigV4Credential(string AccessKeyId, string Date, string Region, string Service)
{
    public string Scope => $"{Date}/{Region}/{Service}/aws4_request";

    /// <summary>Parses <c>AKID/yyyyMMdd/region/service/aws4_request</c>; null when malformed.</summary>
    public static SigV4Credential? TryParse(string value)
    {
        var parts = value.Split('/');
        if (parts.Length != 5 || parts[4] != "aws4_request" || parts[0].Length == 0 || parts[1].Length != 8 || !parts[1].All(char.IsAsciiDigit))
        {
            return null;
        }
        return new SigV4Credential(parts[0], parts[1], parts[2], parts[3]);
    }
}
