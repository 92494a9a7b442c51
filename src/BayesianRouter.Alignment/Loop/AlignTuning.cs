using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BayesianRouter.Alignment.Loop;

/// <summary>One point of the hyper-parameter grid: the DPO learning rate and beta.</summary>
public sealed record GridPoint(double LearningRate, double Beta)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"lr {LearningRate:G3}, beta {BetaText}");

    private string BetaText => Beta.ToString("G3", CultureInfo.InvariantCulture);
}

/// <summary>
/// The validation protocol of <c>align</c> (<c>--tune-lr</c>, <c>--tune-beta</c>), one protocol for every method alike:
/// every method of the run is trained at every point of the (learning rate x beta) grid, on the same seeds and
/// streams, and scored on the <b>validation</b> prompts only (the test prompts are not touched); the point chosen is
/// the one with the highest validation accuracy averaged over all methods and seeds (every method weighs the same,
/// so no labelling method's preference decides), and the defaults of <c>align</c> are set to it. Each method's own
/// best point is reported beside it, to show what a per-method choice would have given.
/// </summary>
public sealed record AlignTuning
{
    public const string Schema = "bayesrouter.align-tuning/1";

    public required string Scenario { get; init; }
    public required string Feedback { get; init; }
    public required IReadOnlyList<int> Seeds { get; init; }
    public required int Steps { get; init; }
    public required IReadOnlyList<GridPoint> Grid { get; init; }

    /// <summary>Per grid point (grid order), the run on validation prompts.</summary>
    public required IReadOnlyList<AlignResult> Runs { get; init; }

    public IReadOnlyList<string> Methods => Runs[0].Methods.Select(m => m.Name).ToArray();

    /// <summary>The validation accuracy of a method at a point, mean over seeds.</summary>
    public double Accuracy(string method, int point) => Runs[point].Method(method).Accuracy.Mean;

    /// <summary>The mean over methods of their validation accuracy, per point (the protocol's criterion).</summary>
    public IReadOnlyList<double> MeanOverMethods => Runs.Select(r => r.Methods.Average(m => m.Accuracy.Mean)).ToArray();

    /// <summary>The chosen point: the highest mean over methods (the first of equals in grid order).</summary>
    public GridPoint Chosen => Grid[ArgMax(MeanOverMethods)];

    /// <summary>Each method's own best point (reported, not used).</summary>
    public GridPoint BestFor(string method) => Grid[ArgMax(Enumerable.Range(0, Grid.Count).Select(i => Accuracy(method, i)).ToArray())];

    private static int ArgMax(IReadOnlyList<double> values)
    {
        int best = 0;
        for (int i = 1; i < values.Count; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    /// <summary>Runs the grid: one <see cref="AlignRunner.RunAsync"/> on the validation prompts per point.</summary>
    public static async Task<AlignTuning> RunAsync(Func<AlignOptions, Task<AlignResult>> runOnValidation, AlignOptions options, IReadOnlyList<GridPoint> grid)
    {
        if (grid.Count == 0) throw new ArgumentException("the tuning grid is empty");
        if (options.PerMethod.Count > 0) throw new ArgumentException("tuning chooses the learning rate and beta: give no --hyper-parameters");
        var runs = new List<AlignResult>();
        foreach (var point in grid)
        {
            var run = await runOnValidation(options with { LearningRate = point.LearningRate, Beta = point.Beta }).ConfigureAwait(false);
            if (run.EvaluatedOn != "validation") throw new InvalidOperationException("tuning must score on the validation prompts");
            runs.Add(run);
        }
        return new AlignTuning
        {
            Scenario = runs[0].Scenario, Feedback = runs[0].Feedback, Seeds = options.Seeds, Steps = options.Steps, Grid = grid, Runs = runs,
        };
    }

    public JsonObject ToJson() => new()
    {
        ["schema"] = Schema,
        ["scenario"] = Scenario,
        ["feedback"] = Feedback,
        ["seeds"] = new JsonArray(Seeds.Select(s => (JsonNode?)s).ToArray()),
        ["steps"] = Steps,
        ["criterion"] = "validation accuracy, mean over every method and seed",
        ["chosen"] = Point(Chosen),
        ["grid"] = new JsonArray(Grid.Select((g, i) => (JsonNode?)new JsonObject
        {
            ["learning_rate"] = g.LearningRate,
            ["beta"] = g.Beta,
            ["mean_over_methods"] = Math.Round(MeanOverMethods[i], 6),
            ["validation_accuracy"] = new JsonObject(Methods.Select(m => new KeyValuePair<string, JsonNode?>(m, Math.Round(Accuracy(m, i), 6)))),
        }).ToArray()),
        ["best_per_method"] = new JsonObject(Methods.Select(m => new KeyValuePair<string, JsonNode?>(m, Point(BestFor(m))))),
    };

    private static JsonObject Point(GridPoint p) => new() { ["learning_rate"] = p.LearningRate, ["beta"] = p.Beta };

    public string Serialize() => ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    /// <summary>tuning.md: the grid's validation accuracy per method, the criterion per point, the choice.</summary>
    public string Markdown()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine($"# align: learning rate and beta chosen on validation prompts (scenario {Scenario}, feedback {Feedback})");
        sb.AppendLine();
        sb.AppendLine(string.Create(inv, $"Seeds {string.Join(", ", Seeds)}; {Steps} DPO steps; every method at every point; validation accuracy (mean over seeds). The chosen point has the highest mean over all methods: **{Chosen}**."));
        sb.AppendLine();
        sb.AppendLine("| method | " + string.Join(" | ", Grid.Select(g => g.ToString())) + " | its own best |");
        sb.AppendLine("|---|" + string.Concat(Grid.Select(_ => "---|")) + "---|");
        foreach (var m in Methods)
            sb.AppendLine($"| {m} | " + string.Join(" | ", Grid.Select((_, i) => Accuracy(m, i).ToString("F4", inv))) + $" | {BestFor(m)} |");
        sb.AppendLine("| **mean over methods** | " + string.Join(" | ", MeanOverMethods.Select(v => $"**{v.ToString("F4", inv)}**")) + " | |");
        return sb.ToString();
    }
}
