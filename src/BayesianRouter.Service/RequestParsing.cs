using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BayesianRouter.Live;

namespace BayesianRouter.Service;

/// <summary>A request body that does not fit its schema: the field (a JSON path such as <c>pairs[3].prompt</c>) and what is wrong.</summary>
public sealed class RequestFieldException(string field, string message) : Exception($"{field}: {message}")
{
    public string Field { get; } = field;
    public string Problem { get; } = message;
}

/// <summary>A request whose batch is larger than the service accepts (413).</summary>
public sealed class BatchTooLargeException(string field, int count, int limit)
    : Exception($"{field}: {count} items exceed the limit of {limit} per request")
{
    public string Field { get; } = field;
}

/// <summary>One pair of a <c>POST /v1/label</c> request. <see cref="Group"/>: the pairs sharing a prompt (given, or by
/// default a hash of the prompt, as in a pair file), what the hierarchical online model learns per prompt from.</summary>
public sealed record LabelPair(string Id, string Prompt, string ResponseA, string ResponseB, string? Domain, string Group);

/// <summary>
/// Strict readers of the request bodies: every field is checked for presence and type, unknown fields are refused (a
/// misspelt "respone_a" must not pass), and each error names the field by its JSON path.
/// </summary>
public static class RequestParsing
{
    /// <summary>The largest DPO loss magnitude a feedback item may carry: far above any real per-pair loss, and small
    /// enough that a batch's centring cannot overflow.</summary>
    public const double MaxAbsLoss = 1e6;

    private static readonly string[] PairFields = ["id", "prompt", "response_a", "response_b", "domain", "group"];
    private static readonly string[] FeedbackFields = ["decision_id", "loss", "reward"];

    /// <summary><c>{"pairs": [{"id", "prompt", "response_a", "response_b", "domain"?, "group"?}]}</c>.</summary>
    public static IReadOnlyList<LabelPair> LabelRequest(JsonElement root, int maxPairs)
    {
        var pairs = TopArray(root, "pairs", maxPairs);
        var result = new LabelPair[pairs.GetArrayLength()];
        var positions = new Dictionary<string, int>(StringComparer.Ordinal);
        int i = 0;
        foreach (var item in pairs.EnumerateArray())
        {
            string at = $"pairs[{i}]";
            if (item.ValueKind != JsonValueKind.Object) throw new RequestFieldException(at, $"must be an object, got {Kind(item)}");
            CheckFields(item, at, PairFields);
            var id = String(item, at, "id", required: true)!;
            if (id.Length == 0) throw new RequestFieldException($"{at}.id", "must not be empty");
            if (!positions.TryAdd(id, i))
                throw new RequestFieldException($"{at}.id", $"\"{Short(id)}\" is also the id of pairs[{positions[id]}]: a pair id names one pair");
            var prompt = String(item, at, "prompt", true)!;
            var group = String(item, at, "group", false);
            if (group is { Length: 0 }) throw new RequestFieldException($"{at}.group", "must not be empty (leave it out to group the pair by its prompt)");
            result[i] = new LabelPair(id, prompt, String(item, at, "response_a", true)!,
                String(item, at, "response_b", true)!, String(item, at, "domain", false), group ?? Data.PreferencePair.GroupOf(prompt));
            i++;
        }
        return result;
    }

    /// <summary><c>{"feedback": [{"decision_id", "loss"} | {"decision_id", "reward"}]}</c>.</summary>
    public static IReadOnlyList<FeedbackItem> FeedbackRequest(JsonElement root, int maxItems)
    {
        var items = TopArray(root, "feedback", maxItems);
        var result = new FeedbackItem[items.GetArrayLength()];
        int i = 0;
        foreach (var item in items.EnumerateArray())
        {
            string at = $"feedback[{i}]";
            if (item.ValueKind != JsonValueKind.Object) throw new RequestFieldException(at, $"must be an object, got {Kind(item)}");
            CheckFields(item, at, FeedbackFields);
            var id = String(item, at, "decision_id", true)!;
            if (id.Length == 0) throw new RequestFieldException($"{at}.decision_id", "must not be empty (the decision_id of a label)");
            bool hasLoss = item.TryGetProperty("loss", out var loss), hasReward = item.TryGetProperty("reward", out var reward);
            if (hasLoss == hasReward)
                throw new RequestFieldException(at, hasLoss ? "has both \"loss\" and \"reward\": give one" : "needs \"loss\" (the pair's DPO loss) or \"reward\" (a shaped reward in [0, 1])");
            if (hasLoss)
            {
                double l = Number(loss, $"{at}.loss");
                if (Math.Abs(l) > MaxAbsLoss) throw new RequestFieldException($"{at}.loss", $"must lie in [-1e6, 1e6] (a per-pair DPO loss), got {loss.GetRawText()}");
                result[i] = FeedbackItem.OfLoss(id, l);
            }
            else
            {
                double r = Number(reward, $"{at}.reward");
                if (r is < 0 or > 1) throw new RequestFieldException($"{at}.reward", $"must lie in [0, 1], got {reward.GetRawText()}");
                result[i] = FeedbackItem.OfReward(id, r);
            }
            i++;
        }
        return result;
    }

    private static JsonElement TopArray(JsonElement root, string name, int max)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new RequestFieldException("$", $"the body must be a JSON object, got {Kind(root)}");
        CheckFields(root, "$", [name]);
        if (!root.TryGetProperty(name, out var array)) throw new RequestFieldException(name, "is missing");
        if (array.ValueKind != JsonValueKind.Array) throw new RequestFieldException(name, $"must be an array, got {Kind(array)}");
        int count = array.GetArrayLength();
        if (count > max) throw new BatchTooLargeException(name, count, max);
        return array;
    }

    private static void CheckFields(JsonElement item, string at, string[] allowed)
    {
        foreach (var p in item.EnumerateObject())
        {
            string name;
            try
            {
                name = p.Name;
            }
            catch (InvalidOperationException)
            {
                throw new RequestFieldException(at, "a field name is not valid Unicode text (it holds a lone surrogate, such as \\ud800 without its pair)");
            }
            if (!allowed.Contains(name))
                throw new RequestFieldException(at == "$" ? name : $"{at}.{name}", $"unknown field (allowed: {string.Join(", ", allowed)})");
        }
    }

    private static string? String(JsonElement item, string at, string name, bool required)
    {
        if (!item.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null)
            return required ? throw new RequestFieldException($"{at}.{name}", "is missing") : null;
        if (e.ValueKind != JsonValueKind.String) throw new RequestFieldException($"{at}.{name}", $"must be a string, got {Kind(e)}");
        string? text;
        try
        {
            text = e.GetString();
        }
        catch (InvalidOperationException)
        {
            text = null;
        }
        if (text is null || HasLoneSurrogate(text))
            throw new RequestFieldException($"{at}.{name}", "is not valid Unicode text (it holds a lone surrogate, such as \\ud800 without its pair)");
        return text;
    }

    private static bool HasLoneSurrogate(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else if (char.IsSurrogate(text[i])) return true;
        }
        return false;
    }

    private static string Short(string text) => text.Length <= 60 ? text : text[..60] + "...";

    /// <summary>
    /// A digest of a label request's content (every pair's id, texts, domain and group, in order): a retry under the
    /// same idempotency key must have the same digest.
    /// </summary>
    public static string Digest(IReadOnlyList<LabelPair> pairs)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var p in pairs)
            foreach (var text in new[] { p.Id, p.Prompt, p.ResponseA, p.ResponseB, p.Domain, p.Group }) Append(sha, text);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>A digest of a feedback request's content (every item's decision id, kind and value, in order).</summary>
    public static string Digest(IReadOnlyList<FeedbackItem> items)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> value = stackalloc byte[8];
        foreach (var item in items)
        {
            Append(sha, item.DecisionId);
            Append(sha, item.Loss.HasValue ? "loss" : "reward");
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(value, BitConverter.DoubleToInt64Bits(item.Loss ?? item.Reward ?? 0));
            sha.AppendData(value);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static void Append(IncrementalHash sha, string? text)
    {
        Span<byte> length = stackalloc byte[4];
        var bytes = text is null ? [] : Encoding.UTF8.GetBytes(text);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, text is null ? -1 : bytes.Length);
        sha.AppendData(length);
        sha.AppendData(bytes);
    }

    private static double Number(JsonElement e, string field)
    {
        if (e.ValueKind != JsonValueKind.Number) throw new RequestFieldException(field, $"must be a finite number, got {e.GetRawText()}");
        if (!e.TryGetDouble(out var x) || !double.IsFinite(x)) throw new RequestFieldException(field, $"must be a finite number, got {e.GetRawText()}");
        return x;
    }

    private static string Kind(JsonElement e) => e.ValueKind.ToString().ToLowerInvariant();
}
