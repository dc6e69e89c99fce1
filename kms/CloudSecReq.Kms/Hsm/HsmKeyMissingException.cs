namespace CloudSecReq.Kms.Hsm;

/// No object with the expected label is on the token. For a key the metadata says exists, that means the HSM
/// is not the one we expect (or is degraded): callers fail closed and never change key state because of it.
internal sealed class HsmKeyMissingException(string label) : Exception($"No HSM object labelled '{label}'.")
{
    public string Label { get; } = label;
}
