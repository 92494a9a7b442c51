namespace BayesianRouter.Cli;

/// <summary>
/// Checks where a command will write before it does any work, so a long run never fails at its end on its output
/// path: the path must not be the other kind (a folder where a file goes, or the reverse), no part of it may be a file,
/// and a probe file must be writable in the target folder, or in its nearest existing ancestor when it does not exist
/// yet (nothing is created: a command that fails later leaves no trace). Failures are
/// <see cref="CliUsageException"/>s naming the option and saying what is wrong.
/// </summary>
public static class OutputPath
{
    /// <summary>Checks an output file path.</summary>
    public static void CheckFile(string path, string option)
    {
        var full = Full(path, option);
        if (Directory.Exists(full)) throw new CliUsageException($"{option} {path}: is a folder; name a file to write");
        CheckAncestors(full, option, path);
        Probe(NearestExisting(Path.GetDirectoryName(full)!), option, path);
    }

    /// <summary>Checks an output folder path (the command creates it when it writes).</summary>
    public static void CheckFolder(string path, string option)
    {
        var full = Full(path, option);
        if (File.Exists(full)) throw new CliUsageException($"{option} {path}: is a file; name a folder for the outputs");
        CheckAncestors(full, option, path);
        Probe(NearestExisting(full), option, path);
    }

    private static string Full(string path, string option)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new CliUsageException($"{option}: the path is empty");
        try
        {
            return Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new CliUsageException($"{option} {path}: not a valid path ({e.Message})");
        }
    }

    private static void CheckAncestors(string full, string option, string path)
    {
        for (var dir = Path.GetDirectoryName(full); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(dir)) throw new CliUsageException($"{option} {path}: {dir} is a file, not a folder");
            if (Directory.Exists(dir)) return;
        }
    }

    private static string NearestExisting(string dir)
    {
        while (!Directory.Exists(dir) && Path.GetDirectoryName(dir) is { Length: > 0 } parent) dir = parent;
        return dir;
    }

    private static void Probe(string folder, string option, string path)
    {
        string probe = Path.Combine(folder, $".bayesrouter-write-check-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (File.Create(probe, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new CliUsageException($"{option} {path}: cannot write in {folder} ({Reason(e, folder)})");
        }
        finally
        {
            try { if (File.Exists(probe)) File.Delete(probe); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static string Reason(Exception e, string folder) => e switch
    {
        UnauthorizedAccessException => "permission denied",
        DirectoryNotFoundException or FileNotFoundException => Directory.Exists(folder) ? "files cannot be created there" : "no such folder",
        _ => e.Message,
    };
}
