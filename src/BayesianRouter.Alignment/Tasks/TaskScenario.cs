namespace BayesianRouter.Alignment.Tasks;

/// <summary>
/// What happens to the pool while the policy trains (<c>align --scenario</c>).
/// </summary>
public enum TaskScenario
{
    /// <summary>
    /// The RMs' rules stay what they were when the offline router learned them: every RM is imperfect, no RM is right
    /// everywhere, their strengths overlap and depend on the question's wording, size and domain.
    /// </summary>
    Static,

    /// <summary>
    /// The same pool, but the <c>reader</c> RM is exploitable: it also rewards an answer that ends like a sentence
    /// ("37."), a formatting habit the grader refuses and the start policy shows on a few answers only. On the start's
    /// pairs it judges as in the static pool; as a policy trained on its labels learns the habit, its accuracy on that
    /// policy's pairs falls (the paper's motivation for routing online: reward hacking, distribution shift).
    /// </summary>
    Drift,
}

/// <summary>Names of the scenarios as the command line and results.json write them.</summary>
public static class TaskScenarios
{
    public static string Name(TaskScenario s) => s switch
    {
        TaskScenario.Static => "static",
        TaskScenario.Drift => "drift",
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };

    public static IReadOnlyList<string> Names { get; } = ["static", "drift"];

    /// <summary>The scenario of a name; a clear error naming the known ones otherwise.</summary>
    public static TaskScenario Parse(string name) => name switch
    {
        "static" => TaskScenario.Static,
        "drift" => TaskScenario.Drift,
        _ => throw new ArgumentException($"--scenario: unknown scenario \"{name}\" (known: {string.Join(", ", Names)})"),
    };
}
