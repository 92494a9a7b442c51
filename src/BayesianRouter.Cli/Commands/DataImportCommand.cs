using System.CommandLine;
using BayesianRouter.Data;
using BayesianRouter.Data.Import;

namespace BayesianRouter.Cli.Commands;

/// <summary><c>bayesrouter data import &lt;format&gt; &lt;source&gt; -o out.jsonl</c>: one subcommand per format.</summary>
public static class DataImportCommand
{
    public static Command Create(CliIO io)
    {
        var cmd = new Command("import",
            "Convert preference data into a pair file. The preferred response lands on a or b by a seeded coin per " +
            "pair (--seed), so always answering \"a\" is right half the time. The output is written atomically: on any " +
            "error nothing is written.");
        cmd.Subcommands.Add(RewardMath(io));
        cmd.Subcommands.Add(Simple(io, "rewardbench2",
            "RewardBench 2 rows (JSON array or JSON Lines with prompt, chosen list, rejected list, subset): every " +
            "chosen x rejected combination becomes a pair; subset -> domain; the Ties subset is left out.",
            "RewardBench 2 export file (.json or .jsonl)", (seed, _) => new RewardBench2Importer(seed)));
        cmd.Subcommands.Add(Simple(io, "helpsteer3",
            "HelpSteer3-Preference rows (context as chat turns, response1, response2, overall_preference -3..3: " +
            "negative = response1 better); rows with preference 0 are left out; domain from the row.",
            "HelpSteer3-Preference file (.json or .jsonl)", (seed, _) => new HelpSteer3Importer(seed)));
        cmd.Subcommands.Add(HfPreference(io));
        cmd.Subcommands.Add(Judgments(io));
        return cmd;
    }

    private static Option<string> OutOption() => new("--out", "-o")
    {
        Description = "The pair file to write (JSON Lines); replaced atomically, never left half-written.",
        Required = true,
    };

    private static Option<int> SeedOption() => new("--seed")
    {
        Description = "Seed of the coin that places the preferred response on a or b (same seed and input: same bytes).",
        DefaultValueFactory = _ => PairPlacement.DefaultSeed,
    };

    private static Argument<string> SourceArgument(string description) => new("source") { Description = description };

    private static Command RewardMath(CliIO io)
    {
        var source = SourceArgument("The RewardMATH folder (holding results/RewardMATH/*_reward.json), e.g. ../shared/datasets/rewardmath.");
        var scorers = new Option<string>("--scorers")
        {
            Description = "Which scorers become RMs (RM name = file stem without _reward, e.g. internlm2_20b, gpt4o, " +
                "gpt4o_pairwise): a comma list of names and groups: classifier (the 9 classifier RMs, scores), process " +
                "(4 process RMs, min of step scores), direct (9 LLM judges, 1-10 scores), pairwise (9 LLM judges, " +
                "verdicts), judges (direct + pairwise), all.",
            DefaultValueFactory = _ => RewardMathImporter.DefaultScorers,
        };
        var part = new Option<string>("--part")
        {
            Description = "Which results to import: rewardmath (results/RewardMATH: 4,347 pairs, no response texts) or rewardbench " +
                "(results/Rewardbench: the 447 RewardBench math pairs WITH chosen and rejected solution texts, scored by the 9 " +
                "classifier RMs and the 4 process RMs under their RewardMATH names; id rewardbench-math/<problem_id>, domain = subject).",
            DefaultValueFactory = _ => "rewardmath",
        };
        part.AcceptOnlyFromAmong("rewardmath", "rewardbench");
        var output = OutOption();
        var seed = SeedOption();
        var cmd = new Command("rewardmath",
            "RewardMATH results (483 MATH problems x 9 incorrect solutions = 4,347 pairs; id rewardmath/<problem>/<j>, " +
            "group = the problem, domain = the MATH subject where known, response texts empty: the data has none). " +
            "--part rewardbench imports the folder's 447 RewardBench math pairs with response texts instead.");
        cmd.Arguments.Add(source);
        cmd.Options.Add(output);
        cmd.Options.Add(seed);
        cmd.Options.Add(scorers);
        cmd.Options.Add(part);
        cmd.SetAction(r => Run(io,
            r.GetValue(part) == "rewardbench"
                ? new RewardBenchMathImporter(r.GetValue(seed), r.GetValue(scorers)!)
                : new RewardMathImporter(r.GetValue(seed), r.GetValue(scorers)!),
            r.GetValue(source)!, r.GetValue(output)!));
        return cmd;
    }

    private static Command Simple(CliIO io, string name, string description, string sourceDescription, Func<int, string, IPairImporter> make)
    {
        var source = SourceArgument(sourceDescription);
        var output = OutOption();
        var seed = SeedOption();
        var cmd = new Command(name, description);
        cmd.Arguments.Add(source);
        cmd.Options.Add(output);
        cmd.Options.Add(seed);
        cmd.SetAction(r => Run(io, make(r.GetValue(seed), r.GetValue(source)!), r.GetValue(source)!, r.GetValue(output)!));
        return cmd;
    }

    private static Command HfPreference(CliIO io)
    {
        var source = SourceArgument("A file of rows with prompt, chosen, rejected (.json array or .jsonl).");
        var output = OutOption();
        var seed = SeedOption();
        var prefix = new Option<string?>("--id-prefix")
        {
            Description = "Pair ids are <prefix>/<row id or row number>; default: the source file's name without extension.",
        };
        var domain = new Option<string?>("--domain")
        {
            Description = "Domain of every pair (e.g. the dataset's name); default: the row's domain or subset field, if any.",
        };
        var cmd = new Command("hf-preference",
            "Generic Hugging Face preference rows: prompt, chosen, rejected as strings or chat-message lists; without a " +
            "prompt, the messages chosen and rejected share are the prompt.");
        cmd.Arguments.Add(source);
        cmd.Options.Add(output);
        cmd.Options.Add(seed);
        cmd.Options.Add(prefix);
        cmd.Options.Add(domain);
        cmd.SetAction(r => Run(io, new HfPreferenceImporter(r.GetValue(seed), r.GetValue(prefix), r.GetValue(domain)),
            r.GetValue(source)!, r.GetValue(output)!));
        return cmd;
    }

    private static Command Judgments(CliIO io)
    {
        var results = new Argument<string[]>("results")
        {
            Description = "Result files of your RMs (JSON Lines or JSON array), one RM per file, one record per pair: " +
                "{\"id\", \"score_a\", \"score_b\"} or {\"id\", \"verdict\": \"a\"|\"b\"|\"tie\"}; a and b as in the pair file.",
            Arity = ArgumentArity.OneOrMore,
        };
        var pairs = new Option<string>("--pairs")
        {
            Description = "The pair file the judgments are merged into (it may also be the --out file).",
            Required = true,
        };
        var rm = new Option<string?>("--rm")
        {
            Description = "The RM's name in the pair file; default: each result file's name without extension. Only with one result file.",
        };
        var replace = new Option<bool>("--replace")
        {
            Description = "Replace judgments the pair file already has from the same RM (default: that is an error).",
        };
        var output = OutOption();
        var cmd = new Command("judgments",
            "Merge per-RM result files into an existing pair file, so RMs you ran yourself join the recorded behaviour. " +
            "An id the pair file lacks, an id given twice, a non-finite score or a bad verdict is an error naming file:line.");
        cmd.Arguments.Add(results);
        cmd.Options.Add(pairs);
        cmd.Options.Add(output);
        cmd.Options.Add(rm);
        cmd.Options.Add(replace);
        cmd.SetAction(r =>
        {
            var files = r.GetValue(results)!;
            OutputPath.CheckFile(r.GetValue(output)!, "--out");
            var name = r.GetValue(rm);
            if (name != null && files.Length > 1) throw new CliUsageException("--rm names one RM: give one result file with it, or name the files after their RMs");
            var importer = new JudgmentsImporter(r.GetValue(pairs)!, name, r.GetValue(replace));
            var report = new ImportReport();
            var merged = importer.Merge(files.Select(f => (f, name ?? JudgmentsImporter.RmNameOf(f))).ToList(), report);
            return Write(io, merged, report, r.GetValue(output)!);
        });
        return cmd;
    }

    private static int Run(CliIO io, IPairImporter importer, string source, string output)
    {
        OutputPath.CheckFile(output, "--out");
        var report = new ImportReport();
        return Write(io, importer.Import(source, report), report, output);
    }

    /// <summary>Writes the pairs atomically, then tells what was written and what was skipped.</summary>
    private static int Write(CliIO io, IEnumerable<PreferencePair> pairs, ImportReport report, string output)
    {
        int preferredB = 0;
        var rms = new HashSet<string>(StringComparer.Ordinal);
        int n = PairFile.Write(output, pairs.Select(p =>
        {
            if (p.Preferred == Preference.B) preferredB++;
            rms.UnionWith(p.Judgments.Keys);
            return p;
        }));
        foreach (var line in report.Lines()) io.Out.WriteLine(line);
        io.Out.WriteLine($"wrote {n} pairs ({preferredB} with preferred = b) and judgments of {rms.Count} RMs to {output}");
        return 0;
    }
}
