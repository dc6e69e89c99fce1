using CloudSecReq.Gateway.Manifests;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.Storage.Shards;

namespace CloudSecReq.Gateway.Objects;

/// <summary>The manifest stage of every object write, just before its metadata commit. Thread-safe.</summary>
internal sealed class ObjectManifests(ManifestWriter manifests, BlobStore blobs, InlineCopies inline)
{
    /// <summary>Reads inline objects' bytes back from their manifest copies.</summary>
    public InlineCopies Inline => inline;

    /// <summary>
    /// Writes <paramref name="record"/>'s manifest to the volumes (durable when this returns) and
    /// returns the record with where its copies are, ready for the metadata commit. For an object
    /// stored inline, <paramref name="inlineBytes"/> are its sealed bytes: every copy carries them, the
    /// copies go first to <paramref name="preferredVolumes"/>, and at least 1 + the write quorum of them
    /// must be durable. Throws <see cref="ObjectFailure.Unavailable"/> when the copies cannot be
    /// placed across racks.
    /// </summary>
    public async Task<ObjectRecord> WriteAsync(ObjectRecord record, ReadOnlyMemory<byte>? inlineBytes, IReadOnlyList<string>? preferredVolumes,
        CancellationToken ct)
    {
        try
        {
            return record with
            {
                Manifests = inlineBytes is { } bytes
                    ? await manifests.WriteObjectAsync(record, bytes, preferredVolumes, 1 + Math.Min(blobs.WriteQuorum, record.Segments[0].ParityShards), ct)
                    : await manifests.WriteObjectAsync(record, ct),
            };
        }
        catch (IOException e)
        {
            throw new ObjectException(ObjectFailure.Unavailable, record.IsInline()
                ? "Too few copies of the object could be stored; please retry."
                : "The object's manifest could not be stored; please retry.", e);
        }
    }

    /// <summary>
    /// Writes the manifest of <paramref name="replacement"/>, a new version of the metadata of
    /// <paramref name="current"/> (new tags), to the volumes; an inline object's bytes are carried
    /// over from a good copy of <paramref name="current"/>, and the new copies go to the same volumes
    /// first. Throws <see cref="ObjectFailure.Unavailable"/> when no copy of the bytes is readable
    /// or the copies cannot be placed across racks.
    /// </summary>
    public async Task<ObjectRecord> WriteFreshAsync(ObjectRecord current, ObjectRecord replacement, CancellationToken ct)
    {
        replacement = replacement with { Manifests = [] };
        if (!current.IsInline())
        {
            return await WriteAsync(replacement, null, null, ct);
        }
        var bytes = await inline.ReadAsync(current, ct)
            ?? throw new ObjectException(ObjectFailure.Unavailable, "No copy of the object is readable right now; please retry later.");
        return await WriteAsync(replacement, bytes, current.Manifests.Select(m => m.VolumeId).ToList(), ct);
    }

    /// <summary>Overwrites the manifest copies of a record whose metadata commit did not happen.</summary>
    public Task ReleaseAsync(ObjectRecord record) =>
        record.Manifests.Count == 0 ? Task.CompletedTask : manifests.ReleaseAsync(record.Manifests);
}
