using BayesianRouter.RewardModels.Protocols;

namespace BayesianRouter.RewardModels.Clients;

/// <summary>
/// An OpenRLHF reward server (<c>python -m openrlhf.cli.serve_rm</c>) through <c>POST /get_reward</c>:
/// <c>{"query": [text, ...]}</c> -> <c>{"rewards": [score, ...]}</c>, one text per response built by the RM's query
/// template (<see cref="RmTemplate.DefaultQuery"/>: prompt then response), all responses of a call in one request.
/// </summary>
public sealed class OpenRlhfScorer(RmHttpChannel channel) : IRewardScorer
{
    private readonly Uri _endpoint = RmProtocol.Endpoint(channel.Spec.Url, RmProtocol.GetRewardPath);
    private readonly RmTemplate _template = RmTemplate.Query(channel.Spec.Template);

    public string Name => channel.Spec.Name;

    public async Task<IReadOnlyList<double>> ScoreAsync(IReadOnlyList<ResponseText> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 0) return [];
        var request = new GetRewardRequest { Query = items.Select(i => _template.Render(i.Prompt, i.Response)).ToArray() };
        var answer = await channel.PostAsync(_endpoint, request, RmProtocol.Json.GetRewardRequest, RmProtocol.Json.GetRewardResponse,
            r => r.Rewards is null ? "no \"rewards\" in the answer"
                : r.Rewards.Count != items.Count ? $"{r.Rewards.Count} rewards for {items.Count} queries"
                : null,
            cancellationToken).ConfigureAwait(false);
        return answer.Rewards!;
    }
}
