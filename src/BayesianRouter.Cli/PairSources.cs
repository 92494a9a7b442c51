using BayesianRouter.Data;
using BayesianRouter.Data.Import;

namespace BayesianRouter.Cli;

/// <summary>
/// Where commands that replay pairs read them: a pair file, or a RewardMATH folder imported on the fly (so the README's
/// main command needs no separate import step). The on-the-fly import uses the importer's defaults and default seed, the
/// same as <c>bayesrouter data import rewardmath</c> without options.
/// </summary>
public static class PairSources
{
    public static List<PreferencePair> Load(string path, TextWriter log)
    {
        if (Directory.Exists(path))
        {
            var report = new ImportReport();
            var pairs = new RewardMathImporter(PairPlacement.DefaultSeed).Import(path, report).ToList();
            log.WriteLine($"imported {pairs.Count} pairs from the RewardMATH folder {path}");
            return pairs;
        }
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such pair file or folder", path);
        return PairFile.ReadAll(path);
    }
}
