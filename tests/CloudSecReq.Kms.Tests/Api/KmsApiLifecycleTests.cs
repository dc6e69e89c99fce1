using System.Text.Json;
using CloudSecReq.Kms.Keys;

namespace CloudSecReq.Kms.Tests.Api;

[Collection("Hsm")]
public sealed class KmsApiLifecycleTests(HsmFixture f)
{
    private static readonly Dictionary<string, string> s_ctx = new() { ["bucket"] = "photos", ["object"] = "cat.jpg" };

    [Fact]
    public async Task CreateKey_Default_DescribesEnabledSymmetricKey()
    {
        var tenant = HsmFixture.NewTenant();
        var created = await f.OkAsync(tenant, "CreateKey", new { Description = "first", Tags = new[] { new { TagKey = "env", TagValue = "test" } } });
        var md = created.GetProperty("KeyMetadata");
        var keyId = md.GetProperty("KeyId").GetString()!;
        Assert.Equal($"arn:aws:kms:us-east-1:{tenant.AccountId}:key/{keyId}", md.GetProperty("Arn").GetString());
        Assert.Equal("Enabled", md.GetProperty("KeyState").GetString());
        Assert.Equal("AWS_KMS", md.GetProperty("Origin").GetString());
        Assert.Equal("SYMMETRIC_DEFAULT", md.GetProperty("KeySpec").GetString());
        Assert.True(md.GetProperty("Enabled").GetBoolean());

        var described = await f.OkAsync(tenant, "DescribeKey", new { KeyId = keyId });
        Assert.Equal("first", described.GetProperty("KeyMetadata").GetProperty("Description").GetString());
        var tags = await f.OkAsync(tenant, "ListResourceTags", new { KeyId = keyId });
        Assert.Equal("test", tags.GetProperty("Tags")[0].GetProperty("TagValue").GetString());
        var keys = await f.OkAsync(tenant, "ListKeys", new { });
        Assert.Contains(keys.GetProperty("Keys").EnumerateArray(), k => k.GetProperty("KeyId").GetString() == keyId);
        Assert.True(f.Service.Hsm.Exists(TenantKeyRecord.VersionLabel(keyId, 1)));
    }

    [Fact]
    public async Task EncryptDecrypt_WithAliasAndContext_RoundTripsAndWrongContextFails()
    {
        var tenant = HsmFixture.NewTenant();
        var keyId = await f.CreateKeyAsync(tenant);
        await f.OkAsync(tenant, "CreateAlias", new { AliasName = "alias/photos", TargetKeyId = keyId });
        await f.ErrorAsync(tenant, "CreateAlias", new { AliasName = "alias/photos", TargetKeyId = keyId }, "AlreadyExistsException");
        await f.ErrorAsync(tenant, "CreateAlias", new { AliasName = "alias/aws/s3", TargetKeyId = keyId }, "InvalidAliasNameException");

        var enc = await f.OkAsync(tenant, "Encrypt", new { KeyId = "alias/photos", Plaintext = HsmFixture.B64("hello"), EncryptionContext = s_ctx });
        var blob = enc.GetProperty("CiphertextBlob").GetString()!;
        Assert.EndsWith(keyId, enc.GetProperty("KeyId").GetString());

        var dec = await f.OkAsync(tenant, "Decrypt", new { CiphertextBlob = blob, EncryptionContext = s_ctx });
        Assert.Equal(HsmFixture.B64("hello"), dec.GetProperty("Plaintext").GetString());

        await f.ErrorAsync(tenant, "Decrypt", new { CiphertextBlob = blob, EncryptionContext = new Dictionary<string, string> { ["bucket"] = "other" } }, "InvalidCiphertextException");
        await f.ErrorAsync(tenant, "Decrypt", new { CiphertextBlob = blob }, "InvalidCiphertextException");
        var tampered = Convert.FromBase64String(blob);
        tampered[^1] ^= 1;
        await f.ErrorAsync(tenant, "Decrypt", new { CiphertextBlob = Convert.ToBase64String(tampered), EncryptionContext = s_ctx }, "InvalidCiphertextException");

        var other = await f.CreateKeyAsync(tenant);
        await f.ErrorAsync(tenant, "Decrypt", new { CiphertextBlob = blob, EncryptionContext = s_ctx, KeyId = other }, "IncorrectKeyException");

        var aliases = await f.OkAsync(tenant, "ListAliases", new { KeyId = keyId });
        Assert.Equal("alias/photos", aliases.GetProperty("Aliases")[0].GetProperty("AliasName").GetString());
        await f.OkAsync(tenant, "UpdateAlias", new { AliasName = "alias/photos", TargetKeyId = other });
        var enc2 = await f.OkAsync(tenant, "Encrypt", new { KeyId = $"arn:aws:kms:us-east-1:{tenant.AccountId}:alias/photos", Plaintext = HsmFixture.B64("x") });
        Assert.EndsWith(other, enc2.GetProperty("KeyId").GetString());
        await f.OkAsync(tenant, "DeleteAlias", new { AliasName = "alias/photos" });
        await f.ErrorAsync(tenant, "Encrypt", new { KeyId = "alias/photos", Plaintext = HsmFixture.B64("x") }, "NotFoundException");
    }

    [Fact]
    public async Task GenerateDataKey_ThenDecrypt_ReturnsSamePlaintext()
    {
        var tenant = HsmFixture.NewTenant();
        var keyId = await f.CreateKeyAsync(tenant);
        var dk = await f.OkAsync(tenant, "GenerateDataKey", new { KeyId = keyId, KeySpec = "AES_256", EncryptionContext = s_ctx });
        Assert.Equal(32, Convert.FromBase64String(dk.GetProperty("Plaintext").GetString()!).Length);
        var dec = await f.OkAsync(tenant, "Decrypt", new { CiphertextBlob = dk.GetProperty("CiphertextBlob").GetString(), EncryptionContext = s_ctx });
        Assert.Equal(dk.GetProperty("Plaintext").GetString(), dec.GetProperty("Plaintext").GetString());

        var noPt = await f.OkAsync(tenant, "GenerateDataKeyWithoutPlaintext", new { KeyId = keyId, NumberOfBytes = 16 });
        Assert.False(noPt.TryGetProperty("Plaintext", out _));
        var dec2 = await f.OkAsync(tenant, "Decrypt", new { CiphertextBlob = noPt.GetProperty("CiphertextBlob").GetString() });
        Assert.Equal(16, Convert.FromBase64String(dec2.GetProperty("Plaintext").GetString()!).Length);

        var random = await f.OkAsync(tenant, "GenerateRandom", new { NumberOfBytes = 64 });
        Assert.Equal(64, Convert.FromBase64String(random.GetProperty("Plaintext").GetString()!).Length);
        await f.ErrorAsync(tenant, "GenerateDataKey", new { KeyId = keyId }, "ValidationException");
    }

    [Fact]
    public async Task ReEncrypt_ToOtherKeyAndContext_DecryptsUnderNewKey()
    {
        var tenant = HsmFixture.NewTenant();
        var a = await f.CreateKeyAsync(tenant);
        var b = await f.CreateKeyAsync(tenant);
        var enc = await f.OkAsync(tenant, "Encrypt", new { KeyId = a, Plaintext = HsmFixture.B64("move me"), EncryptionContext = s_ctx });
        var re = await f.OkAsync(tenant, "ReEncrypt", new
        {
            CiphertextBlob = enc.GetProperty("CiphertextBlob").GetString(),
            SourceEncryptionContext = s_ctx,
            DestinationKeyId = b,
            DestinationEncryptionContext = new Dictionary<string, string> { ["v"] = "2" },
        });
        Assert.EndsWith(a, re.GetProperty("SourceKeyId").GetString());
        var dec = await f.OkAsync(tenant, "Decrypt", new { CiphertextBlob = re.GetProperty("CiphertextBlob").GetString(), EncryptionContext = new Dictionary<string, string> { ["v"] = "2" } });
        Assert.EndsWith(b, dec.GetProperty("KeyId").GetString());
        Assert.Equal(HsmFixture.B64("move me"), dec.GetProperty("Plaintext").GetString());
    }

    [Fact]
    public async Task RotateKeyOnDemand_OldCiphertexts_StillDecrypt()
    {
        var tenant = HsmFixture.NewTenant();
        var keyId = await f.CreateKeyAsync(tenant);
        var before = (await f.OkAsync(tenant, "Encrypt", new { KeyId = keyId, Plaintext = HsmFixture.B64("v1"), EncryptionContext = s_ctx })).GetProperty("CiphertextBlob").GetString();
        await f.OkAsync(tenant, "RotateKeyOnDemand", new { KeyId = keyId });
        var after = (await f.OkAsync(tenant, "Encrypt", new { KeyId = keyId, Plaintext = HsmFixture.B64("v2"), EncryptionContext = s_ctx })).GetProperty("CiphertextBlob").GetString();
        Assert.Equal(1, Convert.FromBase64String(before!)[20]);
        Assert.Equal(2, Convert.FromBase64String(after!)[20]);

        Assert.Equal(HsmFixture.B64("v1"), (await f.OkAsync(tenant, "Decrypt", new { CiphertextBlob = before, EncryptionContext = s_ctx })).GetProperty("Plaintext").GetString());
        Assert.Equal(HsmFixture.B64("v2"), (await f.OkAsync(tenant, "Decrypt", new { CiphertextBlob = after, EncryptionContext = s_ctx })).GetProperty("Plaintext").GetString());

        var rotations = await f.OkAsync(tenant, "ListKeyRotations", new { KeyId = keyId });
        var r = Assert.Single(rotations.GetProperty("Rotations").EnumerateArray());
        Assert.Equal("ON_DEMAND", r.GetProperty("RotationType").GetString());
        Assert.True(f.Service.Hsm.Exists(TenantKeyRecord.VersionLabel(keyId, 2)));
    }

    [Fact]
    public async Task EnableKeyRotation_PeriodPasses_SweepRotatesAutomatically()
    {
        var tenant = HsmFixture.NewTenant();
        var keyId = await f.CreateKeyAsync(tenant);
        await f.ErrorAsync(tenant, "EnableKeyRotation", new { KeyId = keyId, RotationPeriodInDays = 10 }, "ValidationException");
        await f.OkAsync(tenant, "EnableKeyRotation", new { KeyId = keyId, RotationPeriodInDays = 90 });
        var status = await f.OkAsync(tenant, "GetKeyRotationStatus", new { KeyId = keyId });
        Assert.True(status.GetProperty("KeyRotationEnabled").GetBoolean());
        Assert.Equal(90, status.GetProperty("RotationPeriodInDays").GetInt32());
        var old = (await f.OkAsync(tenant, "Encrypt", new { KeyId = keyId, Plaintext = HsmFixture.B64("old") })).GetProperty("CiphertextBlob").GetString();

        f.Clock.Advance(TimeSpan.FromDays(91));
        f.Service.RunDueWork();

        var rotations = await f.OkAsync(tenant, "ListKeyRotations", new { KeyId = keyId });
        Assert.Contains(rotations.GetProperty("Rotations").EnumerateArray(), r => r.GetProperty("RotationType").GetString() == "AUTOMATIC");
        Assert.Equal(HsmFixture.B64("old"), (await f.OkAsync(tenant, "Decrypt", new { CiphertextBlob = old })).GetProperty("Plaintext").GetString());
        await f.OkAsync(tenant, "DisableKeyRotation", new { KeyId = keyId });
        Assert.False((await f.OkAsync(tenant, "GetKeyRotationStatus", new { KeyId = keyId })).GetProperty("KeyRotationEnabled").GetBoolean());
    }

    [Fact]
    public async Task DisableKey_Encrypt_FailsUntilEnabled()
    {
        var tenant = HsmFixture.NewTenant();
        var keyId = await f.CreateKeyAsync(tenant);
        var blob = (await f.OkAsync(tenant, "Encrypt", new { KeyId = keyId, Plaintext = HsmFixture.B64("x") })).GetProperty("CiphertextBlob").GetString();
        var states = new List<KmsKeyState>();
        f.Service.KeyStateChanged += (_, e) => { if (e.KeyId == keyId) { states.Add(e.State); } };

        await f.OkAsync(tenant, "DisableKey", new { KeyId = keyId });
        await f.ErrorAsync(tenant, "Encrypt", new { KeyId = keyId, Plaintext = HsmFixture.B64("x") }, "DisabledException");
        await f.ErrorAsync(tenant, "Decrypt", new { CiphertextBlob = blob }, "DisabledException");
        Assert.Equal("Disabled", (await f.OkAsync(tenant, "DescribeKey", new { KeyId = keyId })).GetProperty("KeyMetadata").GetProperty("KeyState").GetString());
        Assert.False(f.Service.Hsm.IsUsable(TenantKeyRecord.VersionLabel(keyId, 1))); // the HSM refuses it too
        var refused = Assert.Throws<CloudSecReq.Kms.Pkcs11.Pkcs11Exception>(() => f.Service.Hsm.EncryptGcm(TenantKeyRecord.VersionLabel(keyId, 1), [], [1]));
        Assert.Contains("CKR_KEY_FUNCTION_NOT_PERMITTED", refused.Message);

        await f.OkAsync(tenant, "EnableKey", new { KeyId = keyId });
        Assert.True(f.Service.Hsm.IsUsable(TenantKeyRecord.VersionLabel(keyId, 1)));
        await f.OkAsync(tenant, "Decrypt", new { CiphertextBlob = blob });
        Assert.Equal([KmsKeyState.Disabled, KmsKeyState.Enabled], states);
    }

    [Fact]
    public async Task ScheduleKeyDeletion_WindowPasses_ShredsEveryVersion()
    {
        var tenant = HsmFixture.NewTenant();
        var keyId = await f.CreateKeyAsync(tenant);
        await f.OkAsync(tenant, "CreateAlias", new { AliasName = "alias/doomed", TargetKeyId = keyId });
        var v1 = (await f.OkAsync(tenant, "Encrypt", new { KeyId = keyId, Plaintext = HsmFixture.B64("a") })).GetProperty("CiphertextBlob").GetString();
        await f.OkAsync(tenant, "RotateKeyOnDemand", new { KeyId = keyId });
        var v2 = (await f.OkAsync(tenant, "Encrypt", new { KeyId = keyId, Plaintext = HsmFixture.B64("b") })).GetProperty("CiphertextBlob").GetString();

        await f.ErrorAsync(tenant, "ScheduleKeyDeletion", new { KeyId = keyId, PendingWindowInDays = 0 }, "ValidationException");
        var scheduled = await f.OkAsync(tenant, "ScheduleKeyDeletion", new { KeyId = keyId, PendingWindowInDays = 7 });
        Assert.Equal("PendingDeletion", scheduled.GetProperty("KeyState").GetString());
        await f.ErrorAsync(tenant, "Decrypt", new { CiphertextBlob = v1 }, "KMSInvalidStateException");

        // Cancel, then schedule again: cancel leaves the key Disabled.
        await f.OkAsync(tenant, "CancelKeyDeletion", new { KeyId = keyId });
        Assert.Equal("Disabled", (await f.OkAsync(tenant, "DescribeKey", new { KeyId = keyId })).GetProperty("KeyMetadata").GetProperty("KeyState").GetString());
        await f.OkAsync(tenant, "ScheduleKeyDeletion", new { KeyId = keyId, PendingWindowInDays = 1 });

        f.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        f.Service.RunDueWork();

        await f.ErrorAsync(tenant, "Decrypt", new { CiphertextBlob = v1 }, "NotFoundException");
        await f.ErrorAsync(tenant, "Decrypt", new { CiphertextBlob = v2 }, "NotFoundException");
        await f.ErrorAsync(tenant, "DescribeKey", new { KeyId = keyId }, "NotFoundException");
        await f.ErrorAsync(tenant, "DescribeKey", new { KeyId = "alias/doomed" }, "NotFoundException");
        Assert.False(f.Service.Hsm.Exists(TenantKeyRecord.VersionLabel(keyId, 1)));
        Assert.False(f.Service.Hsm.Exists(TenantKeyRecord.VersionLabel(keyId, 2)));
    }

    [Fact]
    public async Task KeyPolicy_UserNotInPolicy_IsDenied()
    {
        var tenant = HsmFixture.NewTenant();
        var alice = HsmFixture.User(tenant, "alice");
        var bob = HsmFixture.User(tenant, "bob");
        var policy = JsonSerializer.Serialize(new
        {
            Version = "2012-10-17",
            Statement = new object[]
            {
                new { Effect = "Allow", Principal = new { AWS = alice.PrincipalArn }, Action = new[] { "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey" }, Resource = "*" },
            },
        });
        var keyId = await f.CreateKeyAsync(tenant, new { Policy = policy });
        Assert.Equal(policy, (await f.OkAsync(tenant, "GetKeyPolicy", new { KeyId = keyId, PolicyName = "default" })).GetProperty("Policy").GetString());

        var blob = (await f.OkAsync(alice, "Encrypt", new { KeyId = keyId, Plaintext = HsmFixture.B64("x") })).GetProperty("CiphertextBlob").GetString();
        await f.OkAsync(alice, "GenerateDataKey", new { KeyId = keyId, KeySpec = "AES_256" });
        await f.ErrorAsync(bob, "Decrypt", new { CiphertextBlob = blob }, "AccessDeniedException");
        await f.ErrorAsync(alice, "DisableKey", new { KeyId = keyId }, "AccessDeniedException");
        await f.ErrorAsync(alice, "PutKeyPolicy", new { KeyId = keyId, PolicyName = "default", Policy = policy }, "AccessDeniedException");

        var foreign = policy.Replace(tenant.AccountId, "111122223333", StringComparison.Ordinal);
        await f.ErrorAsync(tenant, "PutKeyPolicy", new { KeyId = keyId, Policy = foreign }, "MalformedPolicyDocumentException");
    }

    [Fact]
    public async Task OtherTenant_KeyAndCiphertext_AreInvisible()
    {
        var owner = HsmFixture.NewTenant();
        var intruder = HsmFixture.NewTenant();
        var keyId = await f.CreateKeyAsync(owner);
        await f.OkAsync(owner, "CreateAlias", new { AliasName = "alias/mine", TargetKeyId = keyId });
        var blob = (await f.OkAsync(owner, "Encrypt", new { KeyId = keyId, Plaintext = HsmFixture.B64("secret") })).GetProperty("CiphertextBlob").GetString();
        var arn = $"arn:aws:kms:us-east-1:{owner.AccountId}:key/{keyId}";

        await f.ErrorAsync(intruder, "DescribeKey", new { KeyId = keyId }, "NotFoundException");
        await f.ErrorAsync(intruder, "DescribeKey", new { KeyId = arn }, "NotFoundException");
        await f.ErrorAsync(intruder, "Encrypt", new { KeyId = "alias/mine", Plaintext = HsmFixture.B64("x") }, "NotFoundException");
        await f.ErrorAsync(intruder, "Decrypt", new { CiphertextBlob = blob }, "NotFoundException");
        await f.ErrorAsync(intruder, "ScheduleKeyDeletion", new { KeyId = keyId }, "NotFoundException");
        await f.ErrorAsync(intruder, "CreateAlias", new { AliasName = "alias/steal", TargetKeyId = keyId }, "NotFoundException");
        var keys = await f.OkAsync(intruder, "ListKeys", new { });
        Assert.Empty(keys.GetProperty("Keys").EnumerateArray());
        Assert.Empty((await f.OkAsync(intruder, "ListAliases", new { })).GetProperty("Aliases").EnumerateArray());
    }

    [Fact]
    public async Task HandleAsync_UnknownOperationOrBadJson_ReturnsAwsErrors()
    {
        var tenant = HsmFixture.NewTenant();
        var (status, body) = await f.CallAsync(tenant, "CreateGrant", new { });
        Assert.Equal(400, status);
        Assert.Equal("UnsupportedOperationException", body.GetProperty("__type").GetString());

        var response = await f.Service.Api.HandleAsync(tenant, "DescribeKey", "{not json"u8.ToArray(), CancellationToken.None);
        Assert.Equal(400, response.StatusCode);
        Assert.Contains("SerializationException", System.Text.Encoding.UTF8.GetString(response.Json));
        await f.ErrorAsync(tenant, "DescribeKey", new { }, "ValidationException");
        await f.ErrorAsync(tenant, "DescribeKey", new { KeyId = "not-a-key" }, "NotFoundException");
    }

    [Fact]
    public async Task ListKeys_WithLimit_PagesWithMarker()
    {
        var tenant = HsmFixture.NewTenant();
        var ids = new HashSet<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await f.CreateKeyAsync(tenant));
        }

        var seen = new HashSet<string>();
        string? marker = null;
        do
        {
            var page = await f.OkAsync(tenant, "ListKeys", marker is null ? new { Limit = 2 } : new { Limit = 2, Marker = marker });
            foreach (var k in page.GetProperty("Keys").EnumerateArray())
            {
                seen.Add(k.GetProperty("KeyId").GetString()!);
            }

            marker = page.GetProperty("Truncated").GetBoolean() ? page.GetProperty("NextMarker").GetString() : null;
        }
        while (marker is not null);
        Assert.Equal(ids, seen);
    }

    [Fact]
    public async Task DataKeys_Facade_RoundTripsAndRejectsOtherContext()
    {
        var tenant = HsmFixture.NewTenant();
        var keyId = await f.CreateKeyAsync(tenant);
        var dk = f.Service.DataKeys.GenerateDataKey(tenant, keyId, s_ctx);
        Assert.Equal(32, dk.Plaintext.Length);
        Assert.EndsWith(keyId, f.Service.DataKeys.KeyArnOf(tenant, dk.CiphertextBlob));
        Assert.Equal(dk.Plaintext, f.Service.DataKeys.Decrypt(tenant, dk.CiphertextBlob, s_ctx));
        var e = Assert.Throws<CloudSecReq.Kms.Api.KmsException>(() => f.Service.DataKeys.Decrypt(tenant, dk.CiphertextBlob, null));
        Assert.Equal("InvalidCiphertextException", e.AwsType);
        Assert.False(e.IsRetryable);
    }
}
