namespace BayesianRouter.IO;

/// <summary>
/// Writes a file so that readers never see it half-written: the content goes to a temporary file in the same
/// folder, which is renamed over the target only when the writer returned without throwing.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { }
            throw;
        }
    }

    public static void WriteText(string path, Action<TextWriter> write) => Write(path, s =>
    {
        using var w = new StreamWriter(s, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
        write(w);
        w.Flush();
    });

    public static void WriteAllText(string path, string text) => WriteText(path, w => w.Write(text));
}
