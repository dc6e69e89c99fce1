using System.Text.Json;
using CloudSecReq.Kms.Api;

namespace CloudSecReq.Kms.Keys;

/// Key policies: the AWS JSON shape (Statement[] with Effect, Principal {"AWS": …}, Action), evaluated deny-first.
/// Principal "arn:aws:iam::ACCOUNT:root" (or "ACCOUNT") stands for every principal of the tenant, as AWS delegates
/// to IAM (the gateway checks identity policies before calling us); a user ARN matches that principal only; "*"
/// everyone in the tenant. Statements with a Condition are not understood: an Allow with one grants nothing, a Deny
/// with one still denies. The tenant root is never denied (no lock-out). Other accounts' principals are refused.
internal static class KeyPolicy
{
    public static string Default(string accountId) =>
        $$"""{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::{{accountId}}:root"},"Action":"kms:*","Resource":"*"}]}""";

    /// Throws MalformedPolicyDocument unless <paramref name="policy"/> is a policy we can evaluate for this account.
    public static void Validate(string policy, string accountId)
    {
        if (policy.Length > 32768)
        {
            throw new KmsException(KmsErrorCode.LimitExceeded, "The key policy is larger than 32 KB.");
        }

        try
        {
            using var doc = JsonDocument.Parse(policy);
            var statements = Statements(doc.RootElement);
            if (statements.Count == 0)
            {
                throw Malformed("The policy has no Statement.");
            }

            foreach (var s in statements)
            {
                var effect = s.TryGetProperty("Effect", out var e) ? e.GetString() : null;
                if (effect is not ("Allow" or "Deny"))
                {
                    throw Malformed("Effect must be Allow or Deny.");
                }

                if (Strings(s, "Action").Count == 0)
                {
                    throw Malformed("A statement needs an Action.");
                }

                var principals = Principals(s);
                if (principals.Count == 0)
                {
                    throw Malformed("A statement needs a Principal.");
                }

                foreach (var p in principals)
                {
                    if (p != "*" && p != accountId && !p.StartsWith($"arn:aws:iam::{accountId}:", StringComparison.Ordinal))
                    {
                        throw Malformed("Principals must belong to this account.");
                    }
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw Malformed("The policy is not valid JSON of the expected shape.");
        }
    }

    public static bool Allows(string policy, KmsCaller caller, string action)
    {
        if (caller.IsTenantRoot)
        {
            return true;
        }

        var allowed = false;
        foreach (var s in Parse(policy))
        {
            if (!s.Principals.Any(p => PrincipalMatches(p, caller)) || !s.Actions.Any(a => ActionMatches(a, action)))
            {
                continue;
            }

            if (s.Deny)
            {
                return false;
            }

            allowed |= !s.HasCondition;
        }

        return allowed;
    }

    // Parsed policies by text: policies are validated before they are stored, and few distinct ones are live; the bound
    // keeps a stream of distinct policies (up to 32 KB each, e.g. PutKeyPolicy in a loop) from growing the cache.
    internal const int ParsedCapacity = 256;

    private static readonly LruCache<string, Statement[]> s_parsed = new(ParsedCapacity, StringComparer.Ordinal);

    internal static bool IsParsed(string policy) => s_parsed.Contains(policy);

    internal static int ParsedCount => s_parsed.Count;

    private sealed record Statement(bool Deny, bool HasCondition, List<string> Principals, List<string> Actions);

    private static Statement[] Parse(string policy) => s_parsed.GetOrAdd(policy, static text =>
    {
        using var doc = JsonDocument.Parse(text);
        return Statements(doc.RootElement)
            .Select(s => new Statement(
                s.GetProperty("Effect").GetString() == "Deny",
                s.TryGetProperty("Condition", out _),
                Principals(s),
                Strings(s, "Action")))
            .ToArray();
    });

    private static bool PrincipalMatches(string principal, KmsCaller caller) =>
        principal == "*"
        || principal == caller.AccountId
        || principal == $"arn:aws:iam::{caller.AccountId}:root"
        || string.Equals(principal, caller.PrincipalArn, StringComparison.Ordinal);

    /// Whether an Action pattern ("kms:*", "kms:Get*", "kms:Decrypt") names <paramref name="action"/> (case-insensitive).
    public static bool ActionMatches(string pattern, string action)
    {
        if (pattern == "*")
        {
            return true;
        }

        var star = pattern.IndexOf('*');
        return star < 0
            ? string.Equals(pattern, action, StringComparison.OrdinalIgnoreCase)
            : action.StartsWith(pattern[..star], StringComparison.OrdinalIgnoreCase)
              && action.EndsWith(pattern[(star + 1)..].Replace("*", string.Empty), StringComparison.OrdinalIgnoreCase);
    }

    private static List<JsonElement> Statements(JsonElement root)
    {
        if (!root.TryGetProperty("Statement", out var s))
        {
            return [];
        }

        return s.ValueKind == JsonValueKind.Array ? [.. s.EnumerateArray()] : [s];
    }

    private static List<string> Principals(JsonElement statement)
    {
        if (!statement.TryGetProperty("Principal", out var p))
        {
            return [];
        }

        if (p.ValueKind == JsonValueKind.String)
        {
            return [p.GetString()!];
        }

        return p.TryGetProperty("AWS", out var aws) ? Values(aws) : [];
    }

    private static List<string> Strings(JsonElement statement, string name) =>
        statement.TryGetProperty(name, out var v) ? Values(v) : [];

    private static List<string> Values(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => [v.GetString()!],
        // GetString() of a null element is null: a stored [null] Action or Principal would fail every later evaluation.
        JsonValueKind.Array => [.. v.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString()! : throw new InvalidOperationException())],
        _ => throw new InvalidOperationException(),
    };

    private static KmsException Malformed(string message) => new(KmsErrorCode.MalformedPolicyDocument, message);
}
