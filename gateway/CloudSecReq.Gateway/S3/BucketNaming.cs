using System.Net;

namespace CloudSecReq.Gateway.S3;

/// <summary>S3's general-purpose bucket naming rules.</summary>
internal static class BucketNaming
{
    /// <summary>Null when <paramref name="name"/> is a valid bucket name, else why not.</summary>
    public static string? Problem(string name)
    {
        if (name.Length is < 3 or > 63)
        {
            return "Bucket names must be between 3 and 63 characters long.";
        }
        if (!name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-'))
        {
            return "Bucket names can consist only of lowercase letters, numbers, dots and hyphens.";
        }
        if (!char.IsAsciiLetterOrDigit(name[0]) || !char.IsAsciiLetterOrDigit(name[^1]))
        {
            return "Bucket names must begin and end with a letter or number.";
        }
        if (name.Contains("..") || name.Contains(".-") || name.Contains("-."))
        {
            return "Bucket names must not contain two adjacent periods or a period next to a hyphen.";
        }
        if (name.Count(c => c == '.') == 3 && IPAddress.TryParse(name, out _))
        {
            return "Bucket names must not be formatted as an IP address.";
        }
        if (name.StartsWith("xn--", StringComparison.Ordinal) || name.StartsWith("sthree-", StringComparison.Ordinal) || name.StartsWith("amzn-s3-demo-", StringComparison.Ordinal))
        {
            return "Bucket names must not start with a reserved prefix.";
        }
        if (name.EndsWith("-s3alias", StringComparison.Ordinal) || name.EndsWith("--ol-s3", StringComparison.Ordinal) || name.EndsWith(".mrap", StringComparison.Ordinal) || name.EndsWith("--x-s3", StringComparison.Ordinal))
        {
            return "Bucket names must not end with a reserved suffix.";
        }
        return null;
    }
}
