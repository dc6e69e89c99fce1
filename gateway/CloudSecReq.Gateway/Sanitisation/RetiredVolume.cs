namespace CloudSecReq.Gateway.Sanitisation;

/// <summary>
/// A volume taken out of service for sanitisation, kept in csr.json's <c>RetiredVolumes</c> (and no
/// longer in <c>Volumes</c>, so the gateway neither reads nor writes it and never re-creates its
/// layout). <see cref="CertificateId"/> is null while the wipe has not finished (it may be run again).
/// Its id is never given to a new volume, so certificates name one volume only.
/// </summary>
internal sealed record RetiredVolume(string Id, string Path, string Site, string Rack, string Node, DateTimeOffset RetiredAt, DateTimeOffset? WipedAt = null, string? CertificateId = null);
