using BayesianRouter;
using BayesianRouter.Encoding;
using BayesianRouter.RewardModels;

// args: a router trained by `bayesrouter offline train ... --out router.bin`, and the state file to continue and save.
using var encoder = CachedPairEmbedder.CreateMiniLm(useCache: false);   // the encoder the router was trained with
var router = PairRouter.Load(args[0], new PairRouterOptions { Embedder = encoder, StateFile = args[1] });
// Your RMs, one per name of the router's pool: toy scorers here (BayesianRouter.RewardModels has HTTP clients).
var rms = router.RewardModels.Select(name => RewardModel.Scoring(name, (prompt, response) => (name.Sum(c => c) + response.Sum(c => c)) % 11)).ToArray();
PairInput[] pairs = [new("p1", "What is 2 + 3?", "5", "6"), new("p2", "Solve x + 1 = 3.", "x = 2", "x = 4")];
var labelled = await router.LabelAsync(pairs, rms);
foreach (var l in labelled) Console.WriteLine($"{l.PairId}: {l.Rm} (p = {l.Probability:F3}) prefers {l.Preferred}");
var learned = await router.LearnFromLossesAsync([.. labelled.Select(l => l.DecisionId)], [0.31, 0.92]);   // the DPO step's losses
Console.WriteLine($"learned from {learned.Accepted} pairs, {router.Statistics().Feedback} in all");
await router.SaveAsync(args[1]);
