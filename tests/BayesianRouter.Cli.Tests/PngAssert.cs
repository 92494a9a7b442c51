using SkiaSharp;

namespace BayesianRouter.Cli.Tests;

/// <summary>
/// Checks a written plot as an image, not as a file that exists: it decodes as a PNG of the size the plot is drawn at,
/// is not blank, and shows each expected colour (a method's or an RM's line or bar) on enough pixels to be a mark.
/// </summary>
internal static class PngAssert
{
    public static void Plot(string path, int width, int height, params string[] colours) => Plot(path, width, height, colours.Length, colours);

    /// <summary>As <see cref="Plot(string, int, int, string[])"/>, but at least <paramref name="minimum"/> of the colours
    /// must show (lines that coincide, e.g. methods whose accuracy is the same at every scored step, cover each other).</summary>
    public static void Plot(string path, int width, int height, int minimum, params string[] colours)
    {
        using var bitmap = SKBitmap.Decode(path);
        Assert.True(bitmap != null, $"{path} is not a PNG image");
        Assert.Equal((width, height), (bitmap!.Width, bitmap.Height));
        var counts = new Dictionary<uint, int>();
        for (int y = 0; y < bitmap.Height; y += 1)
            for (int x = 0; x < bitmap.Width; x += 1)
            {
                var c = bitmap.GetPixel(x, y);
                uint key = (uint)(c.Red << 16 | c.Green << 8 | c.Blue);
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }
        Assert.True(counts.Count > 20, $"{path} is (nearly) blank: {counts.Count} colours");
        var shown = new List<string>();
        var missing = new List<string>();
        foreach (var hex in colours)
        {
            var want = SKColor.Parse(hex);
            int near = counts.Where(kv => Math.Abs((int)(kv.Key >> 16 & 255) - want.Red) <= 6 && Math.Abs((int)(kv.Key >> 8 & 255) - want.Green) <= 6
                                          && Math.Abs((int)(kv.Key & 255) - want.Blue) <= 6).Sum(kv => kv.Value);
            (near >= 50 ? shown : missing).Add($"{hex} on {near} pixels");
        }
        Assert.True(shown.Count >= minimum, $"{Path.GetFileName(path)} shows {shown.Count} of the {colours.Length} colours (at least {minimum} expected): missing {string.Join(", ", missing)}");
    }
}
