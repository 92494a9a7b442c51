using SkiaSharp;

namespace BayesianRouter.Cli.Tests;

/// <summary>
/// Checks a written plot as an image, not as a file that exists: it decodes as a PNG of the size the plot is drawn at,
/// is not blank, and shows each expected colour (a method's or an RM's line or bar) on enough pixels to be a mark.
/// </summary>
internal static class PngAssert
{
    public static void Plot(string path, int width, int height, params string[] colours)
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
        foreach (var hex in colours)
        {
            var want = SKColor.Parse(hex);
            int near = counts.Where(kv => Math.Abs((int)(kv.Key >> 16 & 255) - want.Red) <= 6 && Math.Abs((int)(kv.Key >> 8 & 255) - want.Green) <= 6
                                          && Math.Abs((int)(kv.Key & 255) - want.Blue) <= 6).Sum(kv => kv.Value);
            Assert.True(near >= 50, $"{Path.GetFileName(path)} shows {hex} on {near} pixels only");
        }
    }
}
