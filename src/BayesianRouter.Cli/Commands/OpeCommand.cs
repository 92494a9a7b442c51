using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using BayesianRouter.Evaluation;
using BayesianRouter.Live;
using BayesianRouter.Offline;
using BayesianRouter.Service;
using Spectre.Console;

namespace BayesianRouter.Cli.Commands;

/// <summary><c>bayesrouter ope</c>: off-policy evaluation of a decision log (docs/ope.md).</summary>
public static class OpeCommand
{
    public static Command Create(CliIO io)
    {
        var state = new Option<DirectoryInfo>("--state") { Description = "The state folder of a serve or label run (its decisions.db).", Required = true };
        var router = new Option<FileInfo?>("--router") { Description = "Offline router whose h the log holds, for the offline-only policy (default: router.bin in the state folder, when there)." };
        var json = new Option<bool>("--json") { Description = "Also print the estimates as one JSON object on the last line." };
        var cmd = new Command("ope",
            "Off-policy evaluation from the decision log: IPS and self-normalised IPS estimates, with 95% confidence intervals, of the " +
            "mean reward each single RM, uniform routing and the offline router alone would have had on the logged pairs, from the " +
            "logged choice probabilities. Needs decisions with feedback; a decision that fell back to another RM is left out (docs/ope.md).");
        foreach (var o in new Option[] { state, router, json }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var dir = parse.GetValue(state)!.FullName;
            using var store = SqliteDecisionStore.OpenExisting(dir);
            var routerPath = parse.GetValue(router)?.FullName ?? Path.Combine(dir, "router.bin");
            OfflineRouter? offline = null;
            if (File.Exists(routerPath))
            {
                offline = OfflineRouter.Load(routerPath);
                var featuresId = new OfflineFeatureMap(offline).Id;
                if (store.FeaturesId != featuresId && !store.FeaturesId.StartsWith(featuresId + "+", StringComparison.Ordinal))
                    throw new InvalidDataException($"{routerPath}: not the router the log was made with ({store.FeaturesId})");
            }
            else if (parse.GetValue(router) != null) throw new FileNotFoundException($"{routerPath}: no such router file", routerPath);
            var usable = DecisionLogEvaluation.Usable(store.ReadDecisions());
            io.Err.WriteLine($"[ope] {usable.Total} decisions: {usable.Choices.Count} usable, {usable.WithoutFeedback} without feedback, {usable.FellBack} labelled by a fallback RM (left out)");
            if (usable.Choices.Count == 0) throw new CliUsageException($"{dir}: no decision with feedback to evaluate (send feedback first)");
            if (usable.Certain == usable.Choices.Count)
                io.Err.WriteLine($"[ope] warning: every usable decision was made with probability 1 (no exploration): the log says nothing about what other RMs would have earned, so no policy that chooses differently can be estimated. Run serve or label with --explore 0.05 to 0.2 to evaluate other policies.");
            else if (usable.Certain > 0)
                io.Err.WriteLine($"[ope] warning: {usable.Certain} of {usable.Choices.Count} usable decisions were made with probability 1 (no exploration there): estimates of policies that choose otherwise on those pairs rest on the other decisions only. --explore 0.05 to 0.2 keeps every RM's probability above epsilon / N.");
            var earned = usable.Choices.Average(c => c.Reward);
            double sd = Math.Sqrt(usable.Choices.Sum(c => (c.Reward - earned) * (c.Reward - earned)) / Math.Max(1, usable.Choices.Count - 1) / usable.Choices.Count);
            var estimates = DecisionLogEvaluation.StandardPolicies(store.Pool, offline).Select(p => OffPolicyEvaluation.Estimate(usable.Choices, p)).ToArray();
            foreach (var e in estimates.Where(e => e.HasData && e.EffectiveSampleSize < MinEffectiveSample))
                io.Err.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"[ope] warning: {e.Policy}: effective sample size {e.EffectiveSampleSize:F1} (largest weight {e.MaxWeight:G3}): the estimate rests on a few heavily weighted decisions, so its interval is not to be trusted."));
            Print(io, estimates, earned, sd);
            if (parse.GetValue(json))
                io.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    decisions = usable.Total, usable = usable.Choices.Count, without_feedback = usable.WithoutFeedback, fell_back = usable.FellBack,
                    logged_mean_reward = earned,
                    certain = usable.Certain,
                    policies = estimates.Select(e => new
                    {
                        policy = e.Policy, has_data = e.HasData,
                        ips = e.HasData ? e.Ips : (double?)null, ips_ci95 = e.HasData ? new[] { e.IpsLow, e.IpsHigh } : null, snips = e.Snips,
                        snips_ci95 = e.Snips is null ? null : new[] { e.SnipsLow!.Value, e.SnipsHigh!.Value },
                        matches = e.Matches, effective_sample_size = e.EffectiveSampleSize, max_weight = e.MaxWeight,
                    }),
                }));
            return 0;
        });
        return cmd;
    }

    /// <summary>Below this effective sample size an estimate is flagged: its normal interval means little.</summary>
    private const double MinEffectiveSample = 30;

    private static void Print(CliIO io, IReadOnlyList<PolicyEstimate> estimates, double earned, double sd)
    {
        static string F(double x) => x.ToString("F4", CultureInfo.InvariantCulture);
        var table = new Table().AddColumns("policy", "IPS", "95% CI", "SNIPS", "95% CI", "matching decisions", "effective sample size", "max weight");
        static string Ci(double lo, double hi) => Markup.Escape($"[{F(lo)}, {F(hi)}]");
        table.AddRow("logged (the router's own)", F(earned), Ci(earned - OffPolicyEvaluation.Z95 * sd, earned + OffPolicyEvaluation.Z95 * sd), "", "", "", "", "");
        foreach (var e in estimates.Where(e => !e.HasData))
            table.AddRow(Markup.Escape(e.Policy), "no data", "", "", "", "0", "", "");
        foreach (var e in estimates.Where(e => e.HasData))
            table.AddRow(Markup.Escape(e.Policy), F(e.Ips), Ci(e.IpsLow, e.IpsHigh), e.Snips is { } s ? F(s) : "-",
                e.Snips is null ? "-" : Ci(e.SnipsLow!.Value, e.SnipsHigh!.Value), e.Matches.ToString(CultureInfo.InvariantCulture),
                e.EffectiveSampleSize.ToString("F0", CultureInfo.InvariantCulture), e.MaxWeight.ToString("F1", CultureInfo.InvariantCulture));
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(io.Out), Interactive = InteractionSupport.No });
        console.Profile.Width = Math.Max(console.Profile.Width, 140);
        console.Write(table);
        io.Out.Flush();
    }
}
