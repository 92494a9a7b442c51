using BayesianRouter.Data;
using BayesianRouter.RewardModels.Protocols;

namespace BayesianRouter.RewardModels.Clients;

/// <summary>
/// An OpenAI-compatible chat model as a pairwise judge (<c>POST /v1/chat/completions</c>): one user message built by
/// the judge template from the prompt and the two responses, a token limit of <see cref="RmSpec.MaxOutputTokens"/>
/// (1 by default) in the field the model takes (<see cref="RmSpec.EffectiveTokenLimitField"/>: <c>max_tokens</c>, or
/// <c>max_completion_tokens</c> for OpenAI's reasoning models), <c>temperature: 0</c>; the
/// answer "0" prefers the response shown first, "1" the one shown second (white space around it is ignored).
/// Which of a and b is shown first is decided per pair by a seeded coin (<see cref="JudgeCoin"/>), so a judge that
/// favours a position favours a and b equally often. Any other answer is a failed judgment
/// (<see cref="RmFailure.InvalidAnswer"/>), never a label, and a failure of the call for the circuit breaker (a judge
/// that keeps answering off the protocol is taken out like one that keeps failing). One request per pair; a batch runs
/// concurrently.
/// </summary>
public sealed class OpenAiJudge(RmHttpChannel channel, int seed) : IRewardModel
{
    private readonly Uri _endpoint = RmProtocol.Endpoint(channel.Spec.Url, RmProtocol.ChatCompletionsPath);
    private readonly RmTemplate _template = RmTemplate.Judge(channel.Spec.Template);
    private readonly string _model = channel.Spec.Model ?? throw new ArgumentException($"openai-judge RM \"{channel.Spec.Name}\" needs a model name");

    public string Name => channel.Spec.Name;

    public async Task<IReadOnlyList<RmJudgment>> JudgeAsync(IReadOnlyList<PairText> pairs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0) return [];
        return await Concurrently.AllAsync(pairs, JudgeOneAsync, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The request for one pair, with the responses in the order shown, the token limit in <paramref name="tokenLimitField"/>.</summary>
    internal static ChatCompletionRequest Request(string model, RmTemplate template, string prompt, string first, string second,
        string tokenLimitField = "max_tokens", int maxOutputTokens = 1) => new()
    {
        Model = model,
        Messages = [new ChatMessage("user", template.Render(prompt, first, second))],
        MaxTokens = tokenLimitField == "max_completion_tokens" ? null : maxOutputTokens,
        MaxCompletionTokens = tokenLimitField == "max_completion_tokens" ? maxOutputTokens : null,
        Temperature = 0,
    };

    private async Task<RmJudgment> JudgeOneAsync(PairText pair, CancellationToken cancellationToken)
    {
        bool swap = JudgeCoin.Swap(seed, pair);
        var (first, second) = swap ? (pair.ResponseB, pair.ResponseA) : (pair.ResponseA, pair.ResponseB);
        ChatCompletionResponse answer;
        try
        {
            answer = await channel.PostAsync(_endpoint, Request(_model, _template, pair.Prompt, first, second, channel.Spec.EffectiveTokenLimitField, channel.Spec.MaxOutputTokens),
                RmProtocol.Json.ChatCompletionRequest, RmProtocol.Json.ChatCompletionResponse, Check, cancellationToken).ConfigureAwait(false);
        }
        catch (RmCallException e) when (e.Kind == RmFailure.InvalidAnswer)
        {
            return RmJudgment.Failed(e.Reason); // counted by the breaker inside the call; a failed judgment, not a label
        }
        bool aWins = (answer.Choices![0].Message!.Content!.Trim() == RmProtocol.FirstAnswer) != swap;
        return RmJudgment.Of(Judgment.FromVerdict(aWins ? Preference.A : Preference.B));
    }

    /// <summary>
    /// What is wrong with an answer, inside the HTTP attempt (so the circuit breaker counts it): no choice is malformed;
    /// content other than the two answers is an invalid answer (thrown: not retried, asking again gets the same).
    /// </summary>
    private static string? Check(ChatCompletionResponse r)
    {
        if (r.Choices is not { Count: > 0 }) return "no \"choices\" in the answer";
        if (r.Choices[0].Message is null) return "no \"choices[0].message\" in the answer";
        var content = r.Choices[0].Message!.Content?.Trim();
        if (content is RmProtocol.FirstAnswer or RmProtocol.SecondAnswer) return null;
        throw new RmCallException(RmFailure.InvalidAnswer,
            $"the judge answered {(content is null ? "nothing" : $"\"{RecordedJudgments.Cut(content)}\"")}, not \"{RmProtocol.FirstAnswer}\" or \"{RmProtocol.SecondAnswer}\"");
    }
}

/// <summary>
/// The judge's position coin: whether a pair's responses are shown swapped (b first). A hash of the seed and the
/// pair's texts, so it is the same on every run, retry and thread, whatever order the pairs come in, and a fair coin
/// over pairs.
/// </summary>
public static class JudgeCoin
{
    public static bool Swap(int seed, PairText pair) =>
        (Convert.ToByte(StableHash.Hex($"{seed}\u001f{pair.Prompt}\u001f{pair.ResponseA}\u001f{pair.ResponseB}", 2), 16) & 1) == 1;
}
