using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace BayesianRouter.RewardModels.Protocols;

/// <summary>
/// The wire shapes of the three RM protocols, defined once and used by both the clients and the recorded-RM server
/// (docs/rm-backends.md). Field names are snake_case as the servers write them; fields a server adds that are not
/// listed here are ignored when reading.
/// </summary>
internal static class RmProtocol
{
    /// <summary>vLLM classify endpoint.</summary>
    public const string ClassifyPath = RmBackendNames.ClassifyPath;

    /// <summary>OpenRLHF reward server endpoint.</summary>
    public const string GetRewardPath = RmBackendNames.GetRewardPath;

    /// <summary>OpenAI-compatible chat completions endpoint.</summary>
    public const string ChatCompletionsPath = RmBackendNames.ChatCompletionsPath;

    /// <summary>The judge's two answers: "0" prefers the response shown first, "1" the one shown second.</summary>
    public const string FirstAnswer = "0", SecondAnswer = "1";

    /// <summary>
    /// The endpoint URL of a server's base URL: the path is appended to the base's path; for the chat endpoint a base
    /// that already ends in <c>/v1</c> (the usual OpenAI base URL) is not given a second one.
    /// </summary>
    public static Uri Endpoint(Uri baseUrl, string path)
    {
        var basePath = baseUrl.AbsolutePath.TrimEnd('/');
        if (path == ChatCompletionsPath && basePath.EndsWith("/v1", StringComparison.Ordinal)) path = path["/v1".Length..];
        var b = new UriBuilder(baseUrl) { Path = basePath + path, Query = "", Fragment = "" };
        return b.Uri;
    }

    /// <summary>Serializer options of every protocol shape (source-generated, snake_case, nulls left out).</summary>
    public static RmJsonContext Json { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // Python servers that mean NaN sometimes write the string "NaN": read it as NaN, then judge it non-finite.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        // Readable quotes and non-ASCII text in messages (these bodies are JSON APIs, never HTML).
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}

/// <summary>One chat message (<c>{"role", "content"}</c>).</summary>
internal sealed record ChatMessage(string Role, string Content);

/// <summary>vLLM <c>POST /classify</c>, chat form: one conversation (user = prompt, assistant = response) per request.</summary>
internal sealed record ClassifyRequest
{
    public string? Model { get; init; }
    public required IReadOnlyList<ChatMessage> Messages { get; init; }

    /// <summary>False: the raw reward (logit), not a sigmoid of it.</summary>
    public bool? UseActivation { get; init; }
}

internal sealed record ClassifyResponse
{
    public string? Id { get; init; }
    public string? Object { get; init; }
    public long? Created { get; init; }
    public string? Model { get; init; }
    public IReadOnlyList<ClassifyData>? Data { get; init; }
}

/// <summary>One classified input: <c>probs[0]</c> is the reward of a one-class reward model.</summary>
internal sealed record ClassifyData
{
    public int Index { get; init; }
    public string? Label { get; init; }
    public IReadOnlyList<double>? Probs { get; init; }
    public int? NumClasses { get; init; }
}

/// <summary>OpenRLHF <c>POST /get_reward</c>: one query text per response (prompt + response by a template).</summary>
internal sealed record GetRewardRequest
{
    public required IReadOnlyList<string> Query { get; init; }
}

internal sealed record GetRewardResponse
{
    public IReadOnlyList<double>? Rewards { get; init; }
}

/// <summary>OpenAI-compatible <c>POST /v1/chat/completions</c> as a pairwise judge.</summary>
internal sealed record ChatCompletionRequest
{
    public required string Model { get; init; }
    public required IReadOnlyList<ChatMessage> Messages { get; init; }
    public int? MaxTokens { get; init; }

    /// <summary>What OpenAI's reasoning models take instead of <see cref="MaxTokens"/> (they refuse it).</summary>
    public int? MaxCompletionTokens { get; init; }
    public double? Temperature { get; init; }
}

internal sealed record ChatCompletionResponse
{
    public string? Id { get; init; }
    public string? Object { get; init; }
    public long? Created { get; init; }
    public string? Model { get; init; }
    public IReadOnlyList<ChatChoice>? Choices { get; init; }
}

internal sealed record ChatChoice
{
    public int Index { get; init; }
    public ChatMessage? Message { get; init; }
    public string? FinishReason { get; init; }
}

/// <summary>An error body, OpenAI style: <c>{"error": {"message", "type"}}</c>.</summary>
internal sealed record ErrorResponse(ErrorDetail Error);

internal sealed record ErrorDetail(string Message, string Type);

[JsonSerializable(typeof(ClassifyRequest))]
[JsonSerializable(typeof(ClassifyResponse))]
[JsonSerializable(typeof(GetRewardRequest))]
[JsonSerializable(typeof(GetRewardResponse))]
[JsonSerializable(typeof(ChatCompletionRequest))]
[JsonSerializable(typeof(ChatCompletionResponse))]
[JsonSerializable(typeof(ErrorResponse))]
internal sealed partial class RmJsonContext : JsonSerializerContext;
