namespace BayesianRouter.RewardModels.Clients;

/// <summary>
/// An RM call that failed, with the failure's kind (<see cref="RmFailure"/>) and whether retrying may help
/// (<see cref="Transient"/>: 5xx, 408, 429, connection failures). The pipeline turns it into failed judgments.
/// </summary>
public sealed class RmCallException(string kind, string message, bool transient = false, Exception? inner = null)
    : Exception(message, inner)
{
    public string Kind { get; } = kind;

    public bool Transient { get; } = transient;

    /// <summary>The failure reason of the judgments this call owed: <c>"kind: message"</c>.</summary>
    public string Reason => RmFailure.Reason(Kind, Message);
}
