using System.Security.Cryptography;
using System.Text;
using Amazon.KeyManagementService.Model;
using Amazon.S3;
using Amazon.S3.Model;
using CloudSecReq.Erasure.Codec;
using CloudSecReq.Erasure.Shards;
using CloudSecReq.Gateway.Manifests;
using CloudSecReq.Gateway.Metadata;
using CloudSecReq.Gateway.ServerSideEncryption;
using CloudSecReq.Gateway.Storage.RecordLog;
using CloudSecReq.Gateway.Storage.Volumes;
using CloudSecReq.Gateway.Tenants;

namespace CloudSecReq.Gateway.Tests.Integration;

/// <summary>
/// What lies on disk: no plaintext, no data key and no SSE-C key anywhere under the data directory;
/// and stored ciphertext that was tampered with is never returned.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class StoredDataTests(GatewayFixture gateway)
{
    private async Task<(AmazonS3Client S3, NewCredentials Tenant, string Bucket)> NewBucketAsync()
    {
        var tenant = await gateway.NewTenantAsync();
        var s3 = gateway.S3Client(tenant);
        var bucket = GatewayFixture.NewBucketName();
        await s3.PutBucketAsync(bucket);
        return (s3, tenant, bucket);
    }

    private async Task<Principal> RootOfAsync(NewCredentials tenant)
    {
        var store = gateway.Host.Data.Store;
        var t = (await store.FindTenantByNameAsync(tenant.TenantName, default))!;
        return new Principal(t, (await store.GetUserAsync(t.Id, TenantService.RootUserName, default))!, tenant.AccessKeyId);
    }

    /// <summary>
    /// Where names, metadata and tags may lie in plaintext (docs/security.md, "What is plaintext at rest"):
    /// the metadata database (with its WAL), the manifest copies in the volumes' logs, and the heal status
    /// file (the object being healed, the last error). Relative to the data directory.
    /// </summary>
    private static bool IsDocumentedPlaintextPlace(string relative) =>
        relative is "meta/metadata.db" or "meta/metadata.db-wal" or "heal-status.json" ||
        System.Text.RegularExpressions.Regex.IsMatch(relative, "^volumes/[^/]+/log/[0-9]+\\.log$");

    [Fact]
    public async Task DataDirectory_AfterUploadsOfEveryKind_HoldsNoPlaintextNoKeysAndNamesOnlyWhereDocumented()
    {
        var (s3, tenant, bucket) = await NewBucketAsync();
        using var kms = gateway.KmsClient(tenant);
        var kmsKey = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        var marker = "CSR-CANARY-" + Guid.NewGuid().ToString("N");
        // Canaries in what S3 keeps as metadata: object names, user metadata, tag values, system headers.
        var nameMarker = "CSR-NAME-" + Guid.NewGuid().ToString("N");
        var metaMarker = "CSR-META-" + Guid.NewGuid().ToString("N");
        var tagMarker = "CSR-TAG-" + Guid.NewGuid().ToString("N");
        var headerMarker = "CSR-HEADER-" + Guid.NewGuid().ToString("N");
        string Name(string objectKey) => $"{nameMarker}/{objectKey}";
        var body = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(marker + " plaintext that must never reach a disk. ", 3000)));
        var small = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(marker + " small plaintext, stored inline. ", 40))); // ≈ 2.8 KiB
        var customerKey = RandomNumberGenerator.GetBytes(32);
        var sseC = (Key: Convert.ToBase64String(customerKey), Md5: Convert.ToBase64String(MD5.HashData(customerKey)));
        PutObjectRequest Put(string objectKey, byte[] bytes)
        {
            var put = new PutObjectRequest { BucketName = bucket, Key = Name(objectKey), InputStream = new MemoryStream(bytes), TagSet = [new Amazon.S3.Model.Tag { Key = "t", Value = tagMarker }] };
            put.Metadata["note"] = metaMarker;
            put.Headers.ContentDisposition = $"attachment; filename=\"{headerMarker}.txt\"";
            return put;
        }
        PutObjectRequest WithSseC(PutObjectRequest put)
        {
            put.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
            put.ServerSideEncryptionCustomerProvidedKey = sseC.Key;
            put.ServerSideEncryptionCustomerProvidedKeyMD5 = sseC.Md5;
            return put;
        }
        PutObjectRequest WithKms(PutObjectRequest put, bool bucketKey = false)
        {
            put.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS;
            put.ServerSideEncryptionKeyManagementServiceKeyId = kmsKey.KeyId;
            put.BucketKeyEnabled = bucketKey;
            return put;
        }
        var principal = await RootOfAsync(tenant);
        using var customer = CustomerKeyFor(customerKey);
        var secrets = new List<(string What, byte[] Bytes)> { ("marker", Encoding.ASCII.GetBytes(marker)), ("SSE-C key", customerKey) };
        async Task AddDataKeyAsync(string objectKey)
        {
            var record = (await gateway.Host.Data.Store.GetObjectAsync(bucket, Name(objectKey), default))!;
            Assert.NotNull(record.Encryption);
            using var dataKey = gateway.Host.SseKeys.Open(principal, bucket, Name(objectKey), record.Encryption!, objectKey.StartsWith("sse-c", StringComparison.Ordinal) ? customer : null);
            secrets.Add(($"data key of {objectKey}", dataKey.Bytes.ToArray()));
        }

        // Released manifests (older versions, old tag sets) keep their records in the logs until the
        // garbage collector overwrites them: held off here, so that the scan sees them.
        using (await gateway.Host.Garbage.PauseAsync(default))
        {
            await s3.PutObjectAsync(Put("sse-s3", body));
            await s3.PutObjectAsync(WithKms(Put("sse-kms", body)));
            await s3.PutObjectAsync(WithKms(Put("sse-kms-bk", body), bucketKey: true));
            await s3.PutObjectAsync(WithSseC(Put("sse-c", body)));
            // Small objects: stored inline, their sealed bytes inside the manifest copies in the logs.
            await s3.PutObjectAsync(Put("inline-sse-s3", small));
            await s3.PutObjectAsync(WithKms(Put("inline-sse-kms", small)));
            await s3.PutObjectAsync(WithSseC(Put("sse-c-inline", small)));
            await s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = Name("sse-s3"), DestinationBucket = bucket, DestinationKey = Name("copied") });
            await s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = Name("inline-sse-s3"), DestinationBucket = bucket, DestinationKey = Name("copied-inline") });
            // Overwritten (the first version's manifest stays in the logs) and re-tagged (so does the old tag set's).
            await s3.PutObjectAsync(Put("rewritten", small));
            var first = (await gateway.Host.Data.Store.GetObjectAsync(bucket, Name("rewritten"), default))!;
            Assert.True(first.IsInline());
            await AddDataKeyAsync("rewritten");
            await s3.PutObjectAsync(Put("rewritten", small.Reverse().ToArray()));
            await s3.PutObjectTaggingAsync(new PutObjectTaggingRequest { BucketName = bucket, Key = Name("inline-sse-s3"), Tagging = new Tagging { TagSet = [new Amazon.S3.Model.Tag { Key = "t", Value = tagMarker + "-2" }] } });

            var big = Enumerable.Repeat(body, 50).SelectMany(b => b).ToArray(); // ≈ 5.6 MiB
            var init = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = Name("multipart"), Metadata = { ["note"] = metaMarker } });
            var p1 = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = Name("multipart"), UploadId = init.UploadId, PartNumber = 1, InputStream = new MemoryStream(big) });
            var p2 = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = Name("multipart"), UploadId = init.UploadId, PartNumber = 2, InputStream = new MemoryStream(body) });
            await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = Name("multipart"), UploadId = init.UploadId, PartETags = [new PartETag(1, p1.ETag), new PartETag(2, p2.ETag)] });
            // SSE-C multipart: one completed, one still in progress (its part lies on the volumes, its upload in the database).
            foreach (var objectKey in new[] { "sse-c-multipart", "sse-c-multipart-pending" })
            {
                var upload = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
                {
                    BucketName = bucket, Key = Name(objectKey), Metadata = { ["note"] = metaMarker },
                    ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256, ServerSideEncryptionCustomerProvidedKey = sseC.Key, ServerSideEncryptionCustomerProvidedKeyMD5 = sseC.Md5,
                });
                var parts = new List<PartETag>();
                foreach (var (number, bytes) in new[] { (1, big), (2, small) })
                {
                    var part = await s3.UploadPartAsync(new UploadPartRequest
                    {
                        BucketName = bucket, Key = Name(objectKey), UploadId = upload.UploadId, PartNumber = number, InputStream = new MemoryStream(bytes),
                        ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256, ServerSideEncryptionCustomerProvidedKey = sseC.Key, ServerSideEncryptionCustomerProvidedKeyMD5 = sseC.Md5,
                    });
                    parts.Add(new PartETag(number, part.ETag));
                }
                if (objectKey == "sse-c-multipart")
                {
                    await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = Name(objectKey), UploadId = upload.UploadId, PartETags = parts });
                }
            }

            // The keys that must not be on disk either: every object's data key and bucket key, unwrapped here.
            foreach (var objectKey in new[] { "sse-s3", "sse-kms", "sse-kms-bk", "sse-c", "inline-sse-s3", "inline-sse-kms", "sse-c-inline", "copied", "copied-inline", "rewritten", "multipart", "sse-c-multipart" })
            {
                await AddDataKeyAsync(objectKey);
            }
            // The first version of "rewritten" is still in the logs: its copies are intact records.
            foreach (var copy in first.Manifests)
            {
                var volume = gateway.Host.Data.Volumes.Single(v => v.Id == copy.VolumeId);
                await using var segment = new FileStream(Path.Combine(VolumeLogs.DirectoryOf(volume), copy.Extent.Segment), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                var record = new byte[ManifestLogFormat.HeaderBytes + copy.Extent.Length];
                segment.Position = copy.Extent.Offset;
                await segment.ReadExactlyAsync(record);
                Assert.NotNull(gateway.Host.Data.Manifests.TryDecode(record.AsSpan(ManifestLogFormat.HeaderBytes)));
            }

            var hits = ScanForAll(gateway.DataDirectory, secrets);
            Assert.True(hits.Count == 0, "found on disk: " + string.Join("; ", hits));

            // Names, metadata and tags: only in the documented places, and really there (the list is not wider than the truth).
            foreach (var (what, canary) in new[] { ("object name", nameMarker), ("user metadata", metaMarker), ("tag value", tagMarker), ("Content-Disposition", headerMarker) })
            {
                var places = ScanForAll(gateway.DataDirectory, [(what, Encoding.UTF8.GetBytes(canary))]).Select(h => h[$"{what} in ".Length..]).ToList();
                var undocumented = places.Where(p => !IsDocumentedPlaintextPlace(p)).ToList();
                Assert.True(undocumented.Count == 0, $"{what} found outside the documented places: {string.Join(", ", undocumented)}");
                Assert.Contains(places, p => p.StartsWith("meta/metadata.db", StringComparison.Ordinal));
                Assert.Contains(places, p => p.StartsWith("volumes/", StringComparison.Ordinal));
            }
        }
        // The scan itself can find things: the plaintext is what GET returns.
        using var get = await s3.GetObjectAsync(bucket, Name("multipart"));
        using var ms = new MemoryStream();
        await get.ResponseStream.CopyToAsync(ms);
        Assert.Equal(body.Length * 51, ms.Length);
        Assert.Equal(body, ms.ToArray()[^body.Length..]);
    }

    private static CustomerKey CustomerKeyFor(byte[] key)
    {
        var headers = new Microsoft.AspNetCore.Http.HeaderDictionary
        {
            ["x-amz-server-side-encryption-customer-algorithm"] = "AES256",
            ["x-amz-server-side-encryption-customer-key"] = Convert.ToBase64String(key),
            ["x-amz-server-side-encryption-customer-key-MD5"] = Convert.ToBase64String(MD5.HashData(key)),
        };
        return CustomerKey.FromHeaders(headers)!;
    }

    /// <summary>Every file under <paramref name="root"/> (volumes, SQLite files and WAL, temp files, the HSM token) searched for each secret.</summary>
    private static List<string> ScanForAll(string root, List<(string What, byte[] Bytes)> secrets)
    {
        var hits = new List<string>();
        var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).ToList();
        Assert.Contains(files, f => f.Contains("tokens"));
        Assert.Contains(files, f => f.EndsWith("metadata.db-wal", StringComparison.Ordinal) || f.EndsWith("metadata.db", StringComparison.Ordinal));
        var overlap = secrets.Max(s => s.Bytes.Length);
        var buffer = new byte[1024 * 1024 + overlap];
        foreach (var file in files)
        {
            if (Path.GetFileName(file) is "serve.lock" or "lock")
            {
                // Held with an exclusive flock by the running gateway (serve.lock, each volume's log/lock): empty by design.
                Assert.Equal(0, new FileInfo(file).Length);
                continue;
            }
            // SQLite databases (metadata, KMS) are read through cat: closing a descriptor of a database
            // file in this process would drop the POSIX locks the gateway's open connections hold on it
            // (sqlite.org/howtocorrupt.html, 2.2), and another process could then reset its WAL.
            using var cat = Path.GetFileName(file).Contains(".db", StringComparison.Ordinal)
                ? System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("cat", [file]) { RedirectStandardOutput = true })
                : null;
            using var f = cat is null ? new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete) : cat.StandardOutput.BaseStream;
            var carried = 0;
            int n;
            while ((n = f.Read(buffer, carried, buffer.Length - carried)) > 0)
            {
                var window = buffer.AsSpan(0, carried + n);
                foreach (var (what, bytes) in secrets)
                {
                    if (window.IndexOf(bytes) >= 0)
                    {
                        hits.Add($"{what} in {Path.GetRelativePath(root, file)}");
                    }
                }
                carried = Math.Min(overlap - 1, window.Length);
                window[^carried..].CopyTo(buffer);
            }
            if (cat is not null)
            {
                cat.WaitForExit();
                Assert.Equal(0, cat.ExitCode);
            }
        }
        return hits.Distinct().ToList();
    }

    [Fact]
    public async Task ShardWithWrongBytesUnderAValidChecksum_IsLeftOutAndTheObjectReadsCorrectly()
    {
        var (s3, _, bucket) = await NewBucketAsync();
        var body = RandomNumberGenerator.GetBytes(300_000);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", InputStream = new MemoryStream(body) });
        var record = await RecordAsync(bucket, "k");
        var path = ShardPaths(record)[1];

        // A byte of data shard 1 changed and its block checksum recomputed: only AES-GCM can notice.
        var bytes = await File.ReadAllBytesAsync(path);
        Assert.Null(ShardHeader.TryRead(bytes, out var header));
        var blockBytes = header.BlockBytes(0);
        bytes[ShardHeader.SizeBytes + 10] ^= 0x40;
        BitConverter.TryWriteBytes(bytes.AsSpan(ShardHeader.SizeBytes + blockBytes, 4), ShardHeader.BlockChecksum(bytes.AsSpan(ShardHeader.SizeBytes, blockBytes), 0));
        await File.WriteAllBytesAsync(path, bytes);

        var reported = new System.Collections.Concurrent.ConcurrentQueue<HealRequest>();
        void OnQueued(object? sender, HealRequest r) => reported.Enqueue(r);
        gateway.Host.HealQueue.Queued += OnQueued;
        try
        {
            using var get = await s3.GetObjectAsync(bucket, "k");
            using var ms = new MemoryStream();
            await get.ResponseStream.CopyToAsync(ms);
            Assert.Equal(body, ms.ToArray());
            // The GET reports the shard for healing (just after the response body).
            var deadline = TimeProvider.System.GetUtcNow().AddSeconds(20);
            while (!reported.Any(r => r.Bucket == bucket && r.Key == "k" && r.Reason.Contains("shard 1")))
            {
                Assert.True(TimeProvider.System.GetUtcNow() < deadline, "the GET did not report shard 1 for healing");
                await Task.Delay(50);
            }
        }
        finally
        {
            gateway.Host.HealQueue.Queued -= OnQueued;
        }
    }

    private async Task<ObjectRecord> RecordAsync(string bucket, string key) => (await gateway.Host.Data.Store.GetObjectAsync(bucket, key, default))!;

    private List<string> ShardPaths(ObjectRecord record, int segment = 0) =>
        record.Segments[segment].Shards.Select(s => gateway.Host.Data.Volumes.Single(v => v.Id == s.VolumeId).BlobPath(s.BlobId)).ToList();

    /// <summary>Decodes a segment's sealed bytes from its shards, changes them, and encodes them back into the same shard files.</summary>
    private async Task RewriteSealedAsync(string bucket, string key, Func<byte[], byte[]> tamper)
    {
        var record = await RecordAsync(bucket, key);
        var segment = record.Segments[0];
        var paths = ShardPaths(record);
        var codec = new ReedSolomonCodec(segment.DataShards, segment.ParityShards);
        using var sealedBytes = new MemoryStream();
        var inputs = paths.Select(p => (Stream?)File.OpenRead(p)).ToList();
        try
        {
            await new StripeReader(codec).ReadAsync(inputs, sealedBytes, default);
        }
        finally
        {
            inputs.ForEach(i => i!.Dispose());
        }
        var tampered = tamper(sealedBytes.ToArray());
        var outputs = paths.Select(p => (Stream)new FileStream(p, FileMode.Create, FileAccess.Write)).ToList();
        try
        {
            await new StripeWriter(codec, segment.BlockBytes).WriteAsync(new MemoryStream(tampered), tampered.Length, outputs, default);
        }
        finally
        {
            outputs.ForEach(o => o.Dispose());
        }
    }

    /// <summary>
    /// Changes an inline object's sealed bytes in every manifest copy on the volumes and fixes each log
    /// record's CRCs; <paramref name="withMac"/> also recomputes the manifest's MAC with the gateway's key.
    /// </summary>
    private async Task RewriteInlineAsync(string bucket, string key, Func<byte[], byte[]> tamper, bool withMac)
    {
        var record = await RecordAsync(bucket, key);
        Assert.True(record.IsInline());
        var codec = gateway.Host.Data.Manifests;
        foreach (var copy in record.Manifests)
        {
            var volume = gateway.Host.Data.Volumes.Single(v => v.Id == copy.VolumeId);
            await using var file = new FileStream(Path.Combine(VolumeLogs.DirectoryOf(volume), copy.Extent.Segment), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            var bytes = new byte[ManifestLogFormat.HeaderBytes + copy.Extent.Length];
            file.Position = copy.Extent.Offset;
            await file.ReadExactlyAsync(bytes);
            var payload = bytes[ManifestLogFormat.HeaderBytes..];
            var tampered = tamper(ManifestCodec.InlineBytes(payload)!.Value.ToArray());
            var rewritten = withMac ? codec.Encode(codec.TryDecode(payload)!, tampered) : payload;
            tampered.CopyTo(rewritten, rewritten.Length - tampered.Length);
            Assert.Equal(payload.Length, rewritten.Length);
            rewritten.CopyTo(bytes, ManifestLogFormat.HeaderBytes);
            ManifestLogFormat.WriteHeader(bytes.AsSpan(0, ManifestLogFormat.HeaderBytes), rewritten);
            file.Position = copy.Extent.Offset;
            await file.WriteAsync(bytes);
        }
    }

    private static async Task AssertGetFailsAsync(AmazonS3Client s3, string bucket, string key, byte[] original)
    {
        try
        {
            using var get = await s3.GetObjectAsync(bucket, key);
            using var ms = new MemoryStream();
            await get.ResponseStream.CopyToAsync(ms);
            Assert.Fail($"GET of tampered {key} returned {ms.Length} bytes{(ms.ToArray().SequenceEqual(original) ? " (the original!)" : "")}");
        }
        catch (Exception e) when (e is AmazonS3Exception or IOException or HttpRequestException)
        {
            if (e is AmazonS3Exception s3e)
            {
                Assert.Equal("InternalError", s3e.ErrorCode);
            }
        }
    }

    private const int Package = 64 * 1024 + 16;

    [Fact]
    public async Task TamperedCiphertext_FlippedSwappedTruncatedOrExchanged_IsNeverReturned()
    {
        var (s3, _, bucket) = await NewBucketAsync();
        var bodies = new Dictionary<string, byte[]>();
        foreach (var key in new[] { "flip", "swap", "truncate", "ex1", "ex2", "small", "small-no-mac" })
        {
            bodies[key] = RandomNumberGenerator.GetBytes(key.StartsWith("small", StringComparison.Ordinal) ? 1000 : 200_000);
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(bodies[key]) });
        }

        // The shards are rewritten consistently (valid block checksums, as an attacker with write
        // access to every volume could): erasure coding cannot notice, the AES-GCM packages must.
        await RewriteSealedAsync(bucket, "flip", b => { b[Package + 100] ^= 0x01; return b; }); // inside the second package
        await RewriteSealedAsync(bucket, "swap", b =>
        {
            var first = b[..Package];
            b.AsSpan(Package, Package).CopyTo(b);
            first.CopyTo(b, Package);
            return b;
        });
        await RewriteSealedAsync(bucket, "truncate", b => b[..(3 * Package)]); // the short last package is gone
        var ex1 = ShardPaths(await RecordAsync(bucket, "ex1"));
        var ex2 = ShardPaths(await RecordAsync(bucket, "ex2"));
        for (var i = 0; i < ex1.Count; i++)
        {
            var ex1Bytes = await File.ReadAllBytesAsync(ex1[i]);
            await File.WriteAllBytesAsync(ex1[i], await File.ReadAllBytesAsync(ex2[i]));
            await File.WriteAllBytesAsync(ex2[i], ex1Bytes);
        }
        // Small objects are stored inline, in three manifest copies: every copy rewritten, with the
        // manifest MAC recomputed (as only the gateway's own key could: AES-GCM must notice) or not
        // (the MAC refuses every copy).
        await RewriteInlineAsync(bucket, "small", b => { b[10] ^= 0x80; return b; }, withMac: true);
        await RewriteInlineAsync(bucket, "small-no-mac", b => { b[10] ^= 0x80; return b; }, withMac: false);

        foreach (var key in new[] { "flip", "swap", "truncate", "ex1", "ex2" })
        {
            await AssertGetFailsAsync(s3, bucket, key, bodies[key]);
        }
        // A one-package object fails before any byte is sent: a clean S3 error, not a cut connection.
        foreach (var key in new[] { "small", "small-no-mac" })
        {
            var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, key));
            Assert.Equal("InternalError", e.ErrorCode);
        }
        // Untouched packages of a damaged object still read: the first package of "flip".
        using var head = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "flip", ByteRange = new ByteRange(0, 999) });
        using var ms = new MemoryStream();
        await head.ResponseStream.CopyToAsync(ms);
        Assert.Equal(bodies["flip"][..1000], ms.ToArray());
    }
}
