namespace BayesianRouter.Alignment.Model;

/// <summary>
/// A Hugging Face model folder as SmolLM2 and Llama checkpoints ship it: <c>config.json</c>, <c>model.safetensors</c>
/// and <c>tokenizer.json</c> (byte-level BPE). Loading reads all three; saving writes all three (float32 weights, LoRA
/// adapters merged) into a temporary folder first and renames it, so a crash never leaves half a checkpoint.
/// </summary>
public static class HfCheckpoint
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";
    public const string TokenizerFile = "tokenizer.json";

    /// <summary>True when <paramref name="folder"/> holds the three files.</summary>
    public static bool Exists(string folder) =>
        File.Exists(Path.Combine(folder, ConfigFile)) && File.Exists(Path.Combine(folder, WeightsFile)) && File.Exists(Path.Combine(folder, TokenizerFile));

    /// <summary>Loads the model and its tokenizer. Errors name the file.</summary>
    public static (LlamaModel Model, ByteLevelBpeTokenizer Tokenizer) Load(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"model folder {folder} does not exist");
        foreach (var f in new[] { ConfigFile, WeightsFile, TokenizerFile })
            if (!File.Exists(Path.Combine(folder, f))) throw new FileNotFoundException($"{Path.Combine(folder, f)} is missing (a model folder holds {ConfigFile}, {WeightsFile}, {TokenizerFile})");
        var config = LlamaConfig.Read(Path.Combine(folder, ConfigFile));
        var tokenizer = ByteLevelBpeTokenizer.Read(Path.Combine(folder, TokenizerFile));
        if (tokenizer.VocabSize > config.VocabSize)
            throw new InvalidDataException($"{Path.Combine(folder, TokenizerFile)} has {tokenizer.VocabSize} tokens, more than vocab_size {config.VocabSize} in {ConfigFile}");
        var weights = SafeTensors.Read(Path.Combine(folder, WeightsFile));
        try
        {
            return (LlamaModel.FromWeights(config, weights), tokenizer);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{Path.Combine(folder, WeightsFile)}: {e.Message}");
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }

    /// <summary>Writes the three files (replacing an existing folder as a whole).</summary>
    public static void Save(string folder, LlamaModel model, ByteLevelBpeTokenizer tokenizer, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var full = Path.GetFullPath(folder);
        var parent = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{Path.GetFileName(full)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            File.WriteAllText(Path.Combine(temp, ConfigFile), model.Config.ToJson());
            File.WriteAllText(Path.Combine(temp, TokenizerFile), tokenizer.ToJson());
            var weights = model.MergedWeights();
            try
            {
                SafeTensors.Write(Path.Combine(temp, WeightsFile), weights, metadata);
            }
            finally
            {
                foreach (var t in weights.Values) t.Dispose();
            }
            if (Directory.Exists(full)) Directory.Delete(full, recursive: true);
            Directory.Move(temp, full);
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            throw;
        }
    }
}
