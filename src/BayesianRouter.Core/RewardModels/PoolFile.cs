using System.Text.Json;
using System.Text.RegularExpressions;
using BayesianRouter.Data;

namespace BayesianRouter.RewardModels;

/// <summary>
/// Reads a pool file (docs/pool-file.md): <c>{"rms": [{"name", "backend", "url", ...}], "budget"?}</c>. Strict:
/// an unknown field, a duplicate name, a missing or ill-typed field, a number out of range, a field the backend does
/// not use or a template without its placeholders is a <see cref="PoolFileException"/> reading
/// <c>pool.json: rms[2].url: "ftp://x" is not an http(s) URL</c>.
/// </summary>
public static partial class PoolFile
{
    /// <summary>The fields of a pool file's top-level object.</summary>
    public static IReadOnlyList<string> TopFields { get; } = ["rms", "budget", "rewards"];

    /// <summary>The fields of one RM entry.</summary>
    public static IReadOnlyList<string> RmFields { get; } =
        ["name", "backend", "url", "model", "cost", "timeout_s", "max_concurrency", "api_key_env", "template", "retries", "max_batch", "circuit_breaker",
         "rpm", "tpm", "on_limit", "standardise", "token_limit_field", "max_output_tokens"];

    /// <summary>The fields of the top-level <c>rewards</c> object (the reward endpoints, docs/integrations.md).</summary>
    public static IReadOnlyList<string> RewardsFields { get; } = ["audit_share", "audit_rms", "group_window_s"];

    /// <summary>The fields of an RM's <c>circuit_breaker</c> object.</summary>
    public static IReadOnlyList<string> BreakerFields { get; } = ["failure_ratio", "min_calls", "window_s", "break_s"];

    public static RmPool Load(string path)
    {
        if (!File.Exists(path)) throw new PoolFileException(path, null, "no such file");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses pool-file text; <paramref name="file"/> names it in messages.</summary>
    public static RmPool Parse(string json, string file)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, PairFile.StrictJson);
        }
        catch (JsonException e)
        {
            throw new PoolFileException(file, null, $"line {(e.LineNumber ?? 0) + 1}: not valid JSON: {JsonErrorText.Describe(System.Text.Encoding.UTF8.GetBytes(json), e, withLine: false)}", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new PoolFileException(file, null, $"must be a JSON object {{\"rms\": [...]}}, got {Kind(root)}");
            CheckFields(file, null, root, TopFields);
            if (!root.TryGetProperty("rms", out var rms)) throw new PoolFileException(file, "rms", "missing: list the RMs of the pool");
            if (rms.ValueKind != JsonValueKind.Array) throw new PoolFileException(file, "rms", $"must be a list of RMs, got {Kind(rms)}");
            if (rms.GetArrayLength() == 0) throw new PoolFileException(file, "rms", "is empty: a pool needs at least one RM");

            var specs = new List<RmSpec>();
            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            int i = 0;
            foreach (var entry in rms.EnumerateArray())
            {
                var spec = ParseRm(file, $"rms[{i}]", entry);
                if (seen.TryGetValue(spec.Name, out var first))
                    throw new PoolFileException(file, $"rms[{i}].name", $"\"{spec.Name}\" is already the name of rms[{first}]: names must be unique");
                seen[spec.Name] = i;
                specs.Add(spec);
                i++;
            }
            double? budget = root.TryGetProperty("budget", out var b) ? Number(file, "budget", b, min: 0, minInclusive: true) : null;
            if (budget is { } limit && specs.MinBy(s => s.Cost) is { } cheapest && limit < cheapest.Cost)
                throw new PoolFileException(file, "budget", string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{limit} is below the cheapest RM's cost ({cheapest.Name}: {cheapest.Cost}): no RM can label a pair within it"));
            var rewards = root.TryGetProperty("rewards", out var rw) ? ParseRewards(file, rw, specs) : new RewardEndpointSpec();
            return new RmPool(file, specs, budget) { Rewards = rewards };
        }
    }

    private static RmSpec ParseRm(string file, string at, JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new PoolFileException(file, at, $"must be an object {{\"name\", \"backend\", \"url\", ...}}, got {Kind(e)}");
        CheckFields(file, at, e, RmFields);

        var name = RequiredString(file, at, e, "name");
        if (name.Trim() != name || name.Any(char.IsControl))
            throw new PoolFileException(file, $"{at}.name", $"\"{name}\" has leading or trailing white space or control characters");

        var backendName = RequiredString(file, at, e, "backend");
        if (!RmBackendNames.ByName.TryGetValue(backendName, out var backend))
            throw new PoolFileException(file, $"{at}.backend", $"\"{backendName}\" is not a backend; use one of {string.Join(", ", RmBackendNames.ByName.Keys)}");

        var urlText = RequiredString(file, at, e, "url");
        if (!Uri.TryCreate(urlText, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || string.IsNullOrEmpty(url.Host))
            throw new PoolFileException(file, $"{at}.url", $"\"{urlText}\" is not an http(s) URL");
        if (!string.IsNullOrEmpty(url.UserInfo))
            throw new PoolFileException(file, $"{at}.url", "must not carry credentials (they would end up in logs); put the key in an environment variable named by api_key_env");
        if (!string.IsNullOrEmpty(url.Query) || !string.IsNullOrEmpty(url.Fragment))
            throw new PoolFileException(file, $"{at}.url", $"\"{urlText}\" has a query or fragment; give the server's base URL (the endpoint path is added)");
        // the endpoint path is appended (docs/pool-file.md): a URL that already ends with it would be called at .../get_reward/get_reward
        var endpoint = backend.EndpointPath();
        // a judge's base may end in /v1 (not given a second one), so its own part of the path is /chat/completions
        var suffix = backend == RmBackend.OpenAiJudge ? "/chat/completions" : endpoint;
        var path = url.AbsolutePath.TrimEnd('/');
        if (path.EndsWith(suffix, StringComparison.Ordinal))
            throw new PoolFileException(file, $"{at}.url", $"\"{urlText}\" ends with the endpoint path; give the server's base URL (\"{url.GetLeftPart(UriPartial.Authority)}{path[..^suffix.Length]}\"): {backendName} appends {endpoint}");

        var model = OptionalString(file, at, e, "model");
        if (model is not null && model.Trim().Length == 0) throw new PoolFileException(file, $"{at}.model", "is empty");
        if (backend == RmBackend.OpenAiJudge && model is null)
            throw new PoolFileException(file, $"{at}.model", "missing: openai-judge needs the served model's name");
        if (backend == RmBackend.OpenRlhf && model is not null)
            throw new PoolFileException(file, $"{at}.model", "openrlhf does not use a model name (its server serves one model); remove the field");

        var apiKeyEnv = OptionalString(file, at, e, "api_key_env");
        if (apiKeyEnv is not null)
        {
            if (backend != RmBackend.OpenAiJudge)
                throw new PoolFileException(file, $"{at}.api_key_env", $"{backendName} does not use an API key (only openai-judge does); remove the field");
            if (!EnvName().IsMatch(apiKeyEnv))
                throw new PoolFileException(file, $"{at}.api_key_env", $"\"{apiKeyEnv}\" is not an environment variable name (letters, digits, _; not starting with a digit)");
        }

        var template = OptionalString(file, at, e, "template");
        if (template is not null)
        {
            var placeholders = backend switch
            {
                RmBackend.OpenRlhf => RmTemplate.QueryPlaceholders,
                RmBackend.OpenAiJudge => RmTemplate.JudgePlaceholders,
                _ => throw new PoolFileException(file, $"{at}.template", $"{backendName} does not use a template (it sends the prompt and response as chat messages); remove the field"),
            };
            var missing = RmTemplate.Missing(template, placeholders);
            if (missing.Count > 0)
                throw new PoolFileException(file, $"{at}.template",
                    $"lacks {string.Join(", ", missing.Select(m => "{" + m + "}"))} ({backendName} templates need {string.Join(", ", placeholders.Select(p => "{" + p + "}"))})");
        }

        int maxBatch = RmSpec.DefaultMaxBatch;
        if (e.TryGetProperty("max_batch", out var mb))
        {
            if (backend != RmBackend.OpenRlhf)
                throw new PoolFileException(file, $"{at}.max_batch", $"{backendName} sends one request per {(backend == RmBackend.OpenAiJudge ? "pair" : "response")}; max_batch applies to openrlhf only");
            maxBatch = Integer(file, $"{at}.max_batch", mb, 1, 4096);
        }

        var onLimitText = OptionalString(file, at, e, "on_limit") ?? "wait";
        var onLimit = onLimitText switch
        {
            "wait" => RateLimitAction.Wait,
            "reroute" => RateLimitAction.Reroute,
            _ => throw new PoolFileException(file, $"{at}.on_limit", $"\"{onLimitText}\" is not wait or reroute"),
        };
        double? rpm = e.TryGetProperty("rpm", out var rp) ? Number(file, $"{at}.rpm", rp, 0, minInclusive: false, max: 1e9) : null;
        double? tpm = e.TryGetProperty("tpm", out var tp) ? Number(file, $"{at}.tpm", tp, 0, minInclusive: false, max: 1e12) : null;
        if (e.TryGetProperty("on_limit", out _) && rpm is null && tpm is null)
            throw new PoolFileException(file, $"{at}.on_limit", "applies to a rate limit: give rpm or tpm too");
        bool standardise = false;
        if (e.TryGetProperty("standardise", out var st))
        {
            if (st.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw new PoolFileException(file, $"{at}.standardise", $"must be true or false, got {Short(st)}");
            standardise = st.GetBoolean();
        }

        var tokenField = OptionalString(file, at, e, "token_limit_field");
        if (tokenField is not null)
        {
            if (backend != RmBackend.OpenAiJudge)
                throw new PoolFileException(file, $"{at}.token_limit_field", $"{backendName} does not generate text (only openai-judge does); remove the field");
            if (!RmSpec.TokenLimitFields.Contains(tokenField, StringComparer.Ordinal))
                throw new PoolFileException(file, $"{at}.token_limit_field", $"\"{tokenField}\" is not one of {string.Join(", ", RmSpec.TokenLimitFields)}");
        }
        int maxOutput = 1;
        if (e.TryGetProperty("max_output_tokens", out var mo))
        {
            if (backend != RmBackend.OpenAiJudge)
                throw new PoolFileException(file, $"{at}.max_output_tokens", $"{backendName} does not generate text (only openai-judge does); remove the field");
            maxOutput = Integer(file, $"{at}.max_output_tokens", mo, 1, 1_000_000);
        }

        return new RmSpec
        {
            RequestsPerMinute = rpm,
            TokensPerMinute = tpm,
            OnLimit = onLimit,
            Standardise = standardise,
            TokenLimitField = tokenField,
            MaxOutputTokens = maxOutput,
            Name = name,
            Backend = backend,
            Url = url,
            Model = model,
            Cost = e.TryGetProperty("cost", out var c) ? Number(file, $"{at}.cost", c, 0, minInclusive: true) : RmSpec.DefaultCost,
            TimeoutSeconds = e.TryGetProperty("timeout_s", out var t) ? Number(file, $"{at}.timeout_s", t, 0.01, minInclusive: true, max: 86400) : RmSpec.DefaultTimeoutSeconds,
            MaxConcurrency = e.TryGetProperty("max_concurrency", out var m) ? Integer(file, $"{at}.max_concurrency", m, 1, 10000) : RmSpec.DefaultMaxConcurrency,
            ApiKeyEnv = apiKeyEnv,
            Template = template,
            Retries = e.TryGetProperty("retries", out var r) ? Integer(file, $"{at}.retries", r, 0, 10) : RmSpec.DefaultRetries,
            MaxBatch = maxBatch,
            CircuitBreaker = e.TryGetProperty("circuit_breaker", out var cb) ? ParseBreaker(file, $"{at}.circuit_breaker", cb) : new RmCircuitBreakerSpec(),
        };
    }

    private static RewardEndpointSpec ParseRewards(string file, JsonElement e, IReadOnlyList<RmSpec> specs)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new PoolFileException(file, "rewards", $"must be an object {{\"audit_share\", \"audit_rms\", \"group_window_s\"}}, got {Kind(e)}");
        CheckFields(file, "rewards", e, RewardsFields);
        var d = new RewardEndpointSpec();
        IReadOnlyList<string>? auditRms = null;
        if (e.TryGetProperty("audit_rms", out var a))
        {
            if (a.ValueKind != JsonValueKind.Array || a.GetArrayLength() == 0) throw new PoolFileException(file, "rewards.audit_rms", $"must be a non-empty list of RM names, got {Short(a)}");
            var names = new List<string>();
            int i = 0;
            foreach (var n in a.EnumerateArray())
            {
                if (n.ValueKind != JsonValueKind.String) throw new PoolFileException(file, $"rewards.audit_rms[{i}]", $"must be an RM name, got {Short(n)}");
                var name = n.GetString()!;
                if (!specs.Any(r => r.Name == name))
                    throw new PoolFileException(file, $"rewards.audit_rms[{i}]", $"\"{name}\" is not an RM of the pool ({string.Join(", ", specs.Select(r => r.Name))})");
                names.Add(name);
                i++;
            }
            auditRms = names;
        }
        return new RewardEndpointSpec
        {
            AuditShare = e.TryGetProperty("audit_share", out var s) ? Number(file, "rewards.audit_share", s, 0, minInclusive: true, max: 1) : d.AuditShare,
            AuditRms = auditRms,
            GroupWindowSeconds = e.TryGetProperty("group_window_s", out var w) ? Number(file, "rewards.group_window_s", w, 0, minInclusive: true, max: 7 * 86400) : d.GroupWindowSeconds,
        };
    }

    private static RmCircuitBreakerSpec ParseBreaker(string file, string at, JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new PoolFileException(file, at, $"must be an object {{\"failure_ratio\", \"min_calls\", \"window_s\", \"break_s\"}}, got {Kind(e)}");
        CheckFields(file, at, e, BreakerFields);
        var d = new RmCircuitBreakerSpec();
        return new RmCircuitBreakerSpec
        {
            FailureRatio = e.TryGetProperty("failure_ratio", out var f) ? Number(file, $"{at}.failure_ratio", f, 0, minInclusive: false, max: 1) : d.FailureRatio,
            MinCalls = e.TryGetProperty("min_calls", out var m) ? Integer(file, $"{at}.min_calls", m, 2, 1_000_000) : d.MinCalls,
            WindowSeconds = e.TryGetProperty("window_s", out var w) ? Number(file, $"{at}.window_s", w, 0.5, minInclusive: true, max: 86400) : d.WindowSeconds,
            BreakSeconds = e.TryGetProperty("break_s", out var b) ? Number(file, $"{at}.break_s", b, 0.5, minInclusive: true, max: 86400) : d.BreakSeconds,
        };
    }

    private static void CheckFields(string file, string? at, JsonElement e, IReadOnlyList<string> known)
    {
        foreach (var p in e.EnumerateObject())
            if (!known.Contains(p.Name, StringComparer.Ordinal))
                throw new PoolFileException(file, at is null ? p.Name : $"{at}.{p.Name}", $"unknown field (known: {string.Join(", ", known)})");
    }

    private static string RequiredString(string file, string at, JsonElement e, string field) =>
        OptionalString(file, at, e, field) ?? throw new PoolFileException(file, $"{at}.{field}", "missing");

    private static string? OptionalString(string file, string at, JsonElement e, string field)
    {
        if (!e.TryGetProperty(field, out var v)) return null;
        if (v.ValueKind != JsonValueKind.String) throw new PoolFileException(file, $"{at}.{field}", $"must be a string, got {Short(v)}");
        var s = v.GetString()!;
        if (s.Length == 0) throw new PoolFileException(file, $"{at}.{field}", "is empty");
        return s;
    }

    private static double Number(string file, string at, JsonElement v, double min, bool minInclusive, double max = double.MaxValue)
    {
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var x) || !double.IsFinite(x))
            throw new PoolFileException(file, at, $"must be a number, got {Short(v)}");
        if (minInclusive ? x < min : x <= min) throw new PoolFileException(file, at, $"{Short(v)} must be {(minInclusive ? ">=" : ">")} {min}");
        if (x > max) throw new PoolFileException(file, at, $"{Short(v)} must be <= {max}");
        return x;
    }

    private static int Integer(string file, string at, JsonElement v, int min, int max)
    {
        if (v.ValueKind != JsonValueKind.Number) throw new PoolFileException(file, at, $"must be a whole number, got {Short(v)}");
        if (!v.TryGetInt32(out var x)) throw new PoolFileException(file, at, $"{Short(v)} is not a whole number in {min}..{max}");
        if (x < min || x > max) throw new PoolFileException(file, at, $"{x} is out of range {min}..{max}");
        return x;
    }

    private static string Kind(JsonElement e) => e.ValueKind.ToString().ToLowerInvariant();

    private static string Short(JsonElement e)
    {
        var raw = e.GetRawText();
        return raw.Length <= 60 ? raw : raw[..57] + "...";
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvName();
}
