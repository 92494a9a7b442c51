using BayesianRouter.RewardModels.Protocols;

namespace BayesianRouter.RewardModels.Clients;

/// <summary>
/// A vLLM classifier RM (<c>vllm serve &lt;rm&gt; --task classify</c>) through <c>POST /classify</c> in the chat form:
/// messages user = prompt, assistant = response, so the server applies the RM's own chat template; the score is
/// <c>data[0].probs[0]</c> with <c>use_activation: false</c> (the raw reward). The chat form holds one conversation
/// per request, so a batch is sent as concurrent requests (bounded by the RM's <c>max_concurrency</c>).
/// </summary>
public sealed class VllmClassifyScorer(RmHttpChannel channel) : IRewardScorer
{
    private readonly Uri _endpoint = RmProtocol.Endpoint(channel.Spec.Url, RmProtocol.ClassifyPath);

    public string Name => channel.Spec.Name;

    public async Task<IReadOnlyList<double>> ScoreAsync(IReadOnlyList<ResponseText> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 0) return [];
        return await Concurrently.AllAsync(items, ScoreOneAsync, cancellationToken).ConfigureAwait(false);
    }

    private async Task<double> ScoreOneAsync(ResponseText item, CancellationToken cancellationToken)
    {
        var request = Request(channel.Spec.Model, item);
        var answer = await channel.PostAsync(_endpoint, request, RmProtocol.Json.ClassifyRequest, RmProtocol.Json.ClassifyResponse, Check, cancellationToken)
            .ConfigureAwait(false);
        return answer.Data![0].Probs![0];
    }

    /// <summary>The request for one response.</summary>
    public static ClassifyRequest Request(string? model, ResponseText item) => new()
    {
        Model = model,
        Messages = [new ChatMessage("user", item.Prompt), new ChatMessage("assistant", item.Response)],
        UseActivation = false,
    };

    private static string? Check(ClassifyResponse r) =>
        r.Data is not { Count: 1 } ? $"expected \"data\" with 1 item, got {r.Data?.Count.ToString() ?? "none"}"
        : r.Data[0].Probs is not { Count: > 0 } ? "\"data[0].probs\" is missing or empty"
        : null;
}
