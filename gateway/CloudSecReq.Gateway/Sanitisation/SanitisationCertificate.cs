using System.Text.Json;
using System.Text.Json.Serialization;

namespace CloudSecReq.Gateway.Sanitisation;

/// <summary>
/// A record of one volume's sanitisation in the spirit of NIST SP 800-88 Rev. 1, section 4.8 and the
/// sample certificate of appendix G (docs/sanitisation.md lists every field). Serialised by
/// <see cref="ToCanonicalJson"/>: UTF-8, no BOM, the properties in declaration order, indented with
/// two spaces, '\n' line ends and a final newline, so the same certificate always gives the same
/// bytes; the detached signature (<see cref="CertificateSignature"/>) is over exactly those bytes.
/// Holds no secret: no key material, no PIN, no object key or content.
/// </summary>
internal sealed record SanitisationCertificate(
    string Format,
    string CertificateId,
    DateTimeOffset IssuedAt,
    string Standard,
    SanitisationCertificate.VolumeSection Volume,
    SanitisationCertificate.DeviceSection Media,
    SanitisationCertificate.SanitisationSection Sanitisation,
    SanitisationCertificate.VerificationSection Verification,
    SanitisationCertificate.ToolSection Tool,
    SanitisationCertificate.OperatorSection Operator,
    SanitisationCertificate.DataSection Data,
    SanitisationCertificate.SignatureSection Signature)
{
    public const string FormatV1 = "cloudsecreq-sanitisation-certificate/v1";

    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        IndentSize = 2,
        NewLine = "\n",
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>The volume as configured when it was wiped.</summary>
    internal sealed record VolumeSection(string Id, string Site, string Rack, string Node, string Path, DateTimeOffset? IdentityCreatedAt);

    /// <summary>The medium: the block device (with what the OS reports of it) or the file system under the volume.</summary>
    internal sealed record DeviceSection(string Kind, string? DevicePath, string? Model, string? Serial, long? SizeBytes, string? LoopBackingFile, string? FileSystem);

    /// <summary>Method (Clear: overwrite), pattern, passes, what was overwritten, and when.</summary>
    internal sealed record SanitisationSection(string Level, string Technique, string Pattern, string PatternSource, int Passes, string Scope,
        long BytesPerPass, long FilesOverwritten, long FileBytes, long FreeSpaceBytes, DateTimeOffset StartedAt, DateTimeOffset EndedAt);

    /// <summary>How the last pass was checked and the outcome ("passed" or "failed").</summary>
    internal sealed record VerificationSection(string Method, int? SampleRegions, int? SampleRegionBytes, long BytesVerified, long MismatchedBytes, string Result);

    internal sealed record ToolSection(string Name, string Version, string Command);

    /// <summary>Who ran it: the name given with --operator (or the OS user), the OS user and the host.</summary>
    internal sealed record OperatorSection(string Name, string OsUser, string Host);

    /// <summary>What happened to the data the volume held before the wipe.</summary>
    internal sealed record DataSection(string Disposition, long ObjectsReferencingVolume, long UploadPartsReferencingVolume,
        long ReleasedShardFilesOverwritten, long ReleasedManifestCopiesOverwritten, IReadOnlyList<string> DrainedToVolumes, string? DrainManifestSha256);

    /// <summary>How to check the detached signature: algorithm, file, and the SHA-256 of the public key (SubjectPublicKeyInfo DER).</summary>
    internal sealed record SignatureSection(string Algorithm, string SignatureFile, string SignatureEncoding, string PublicKeySha256, string PublicKeyFile);

    public byte[] ToCanonicalJson()
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(this, s_json);
        return [.. bytes, (byte)'\n'];
    }

    /// <summary>Reads a certificate; throws <see cref="JsonException"/> when it is not one.</summary>
    public static SanitisationCertificate Parse(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<SanitisationCertificate>(json, s_json) ?? throw new JsonException("The file holds no certificate.");
}
