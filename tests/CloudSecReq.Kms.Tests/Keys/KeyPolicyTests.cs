using CloudSecReq.Kms.Api;
using CloudSecReq.Kms.Keys;

namespace CloudSecReq.Kms.Tests.Keys;

public sealed class KeyPolicyTests
{
    private static readonly KmsCaller s_alice = new("t", "123456789012", "arn:aws:iam::123456789012:user/alice", false);
    private static readonly KmsCaller s_root = new("t", "123456789012", "arn:aws:iam::123456789012:root", true);

    private const string Policy = """
        {"Statement":[
          {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*"},
          {"Effect":"Deny","Principal":{"AWS":["arn:aws:iam::123456789012:user/alice"]},"Action":"kms:Schedule*"},
          {"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Condition":{"StringEquals":{"x":"y"}}}
        ]}
        """;

    [Theory]
    [InlineData("kms:Encrypt", true)]
    [InlineData("kms:ScheduleKeyDeletion", false)]
    public void Allows_AccountRootDelegationWithDeny_DenyWins(string action, bool expected) =>
        Assert.Equal(expected, KeyPolicy.Allows(Policy, s_alice, action));

    [Fact]
    public void Allows_TenantRoot_IsNeverLockedOut() =>
        Assert.True(KeyPolicy.Allows(Policy, s_root, "kms:ScheduleKeyDeletion"));

    [Fact]
    public void Allows_AllowWithCondition_GrantsNothing()
    {
        const string conditional = """{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Condition":{"Bool":{"a":"b"}}}]}""";
        Assert.False(KeyPolicy.Allows(conditional, s_alice, "kms:Decrypt"));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"Statement":[]}""")]
    [InlineData("""{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"kms:*"}]}""")]
    [InlineData("""{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"kms:*"}]}""")]
    public void Validate_BadOrForeignPolicy_IsMalformed(string policy) =>
        Assert.Equal(KmsErrorCode.MalformedPolicyDocument, Assert.Throws<KmsException>(() => KeyPolicy.Validate(policy, "123456789012")).Code);

    [Fact]
    public void Allows_ManyDistinctPolicies_ParsedCacheStaysBounded()
    {
        for (var i = 0; i < KeyPolicy.ParsedCapacity * 3; i++)
        {
            var policy = $$"""{"Id":"p{{i}}","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*"}]}""";
            Assert.True(KeyPolicy.Allows(policy, s_alice, "kms:Decrypt"));
            Assert.True(KeyPolicy.IsParsed(policy));
            Assert.True(KeyPolicy.ParsedCount < KeyPolicy.ParsedCapacity * 2); // bounded; other tests may be adding at the same moment
        }
    }
}
