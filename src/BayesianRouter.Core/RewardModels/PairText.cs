namespace BayesianRouter.RewardModels;

/// <summary>The texts of one preference pair as a reward model sees them: a prompt and two responses.</summary>
public sealed record PairText(string Prompt, string ResponseA, string ResponseB)
{
    /// <summary>The texts of a pair-file pair.</summary>
    public static PairText Of(Data.PreferencePair pair) => new(pair.Prompt, pair.ResponseA, pair.ResponseB);
}

/// <summary>One response to score: the prompt and the response (a scalar RM's input).</summary>
public sealed record ResponseText(string Prompt, string Response);
