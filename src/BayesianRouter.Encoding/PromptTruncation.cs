namespace BayesianRouter.Encoding;

/// <summary>Which end of the prompt is cut when prompt plus response exceed the token budget.</summary>
public enum PromptTruncation
{
    /// <summary>Cut the beginning of the prompt: keep its end, next to the response (the default).</summary>
    Left,

    /// <summary>Cut the end of the prompt: keep its beginning.</summary>
    Right,
}
