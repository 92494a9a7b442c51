using System.Diagnostics;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace BayesianRouter.Cli.Tests;

/// <summary>
/// Issue 12's "done when", for real: the solution is packed into a local folder; the `bayesrouter` tool is installed
/// from it with `dotnet tool install --tool-path`, prints its version and trains an offline router (libtorch, through
/// the patched library the package carries); the sample (samples/QuickStart, the README's example) is built against
/// the packed core and encoder packages and run with that router, twice (the second run continues from the saved
/// state). Hermetic: its own NuGet folders (the packages it packed, a fresh global-packages folder, the machine's
/// global-packages folder only as a read-only fallback for third-party packages already restored by the solution),
/// so nothing reaches the network or the user's NuGet cache. It packs the build the suite just made (--no-build).
/// </summary>
public class PackagingTests(Xunit.Abstractions.ITestOutputHelper log) : DataTempFolderTest
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    private static string RepositoryVersion() =>
        Regex.Match(File.ReadAllText(Path.Combine(DataTestPaths.RepoRoot, "Directory.Build.props")), "<VersionPrefix>([^<]+)<").Groups[1].Value;

    [Fact]
    public async Task The_packed_tool_installs_trains_and_the_sample_runs_on_the_packed_core()
    {
        var root = NewFolder();
        string packages = Dir(root, "packages"), nugetHome = Dir(root, "nuget"), tools = Dir(root, "tools"), work = Dir(root, "work");
        string suffix = "test." + Guid.NewGuid().ToString("N")[..8];
        string version = $"{RepositoryVersion()}-{suffix}";
        var config = WriteNuGetConfig(root, packages);

        // 1. Pack every packable project of the solution (the tool's publish goes to the temporary folder).
        await Run("dotnet", ["pack", Path.Combine(DataTestPaths.RepoRoot, "BayesianRouter.slnx"), "-c", Configuration, "--no-build", "-o", packages,
            $"-p:VersionSuffix={suffix}", $"-p:PublishDir={Dir(root, "publish")}/", "-nodeReuse:false"], DataTestPaths.RepoRoot, nugetHome, TimeSpan.FromMinutes(8));
        foreach (var id in new[] { "BayesianRouter.Core", "BayesianRouter.Encoding", "BayesianRouter.RewardModels", "BayesianRouter.Training", "BayesianRouter.Service", "BayesianRouter.Experiments", "BayesianRouter.Alignment" })
        {
            var nuspec = Nuspec(Path.Combine(packages, $"{id}.{version}.nupkg"), id);
            Assert.True(File.Exists(Path.Combine(packages, $"{id}.{version}.snupkg")), $"{id}: no symbol package");
            Assert.Equal("MIT", nuspec.Element("license")?.Value);
            Assert.Equal("README.md", nuspec.Element("readme")?.Value);
            Assert.NotNull(nuspec.Element("repository")?.Attribute("url"));
            Assert.False(string.IsNullOrWhiteSpace(nuspec.Element("description")?.Value));
            Assert.Contains("llm-alignment", nuspec.Element("tags")?.Value);
            using var zip = ZipFile.OpenRead(Path.Combine(packages, $"{id}.{version}.nupkg"));
            Assert.Contains(zip.Entries, e => e.FullName == $"lib/net10.0/{id}.xml");
            Assert.Contains(zip.Entries, e => e.FullName == "LICENSE");
        }
        var core = Nuspec(Path.Combine(packages, $"BayesianRouter.Core.{version}.nupkg"), "BayesianRouter.Core");
        Assert.DoesNotContain(core.Descendants(), e => e.Name.LocalName is "dependency" or "frameworkReference"); // no package dependency at all
        var encoding = Nuspec(Path.Combine(packages, $"BayesianRouter.Encoding.{version}.nupkg"), "BayesianRouter.Encoding");
        Assert.Contains(encoding.Descendants().Where(e => e.Name.LocalName == "dependency"), d => (string?)d.Attribute("id") == "BayesianRouter.Core" && (string?)d.Attribute("version") == version);
        using (var training = ZipFile.OpenRead(Path.Combine(packages, $"BayesianRouter.Training.{version}.nupkg")))
            Assert.Contains(training.Entries, e => e.FullName == "buildTransitive/BayesianRouter.Training.targets");
        var toolPackage = Path.Combine(packages, $"bayesrouter.linux-x64.{version}.nupkg");
        Assert.True(File.Exists(Path.Combine(packages, $"bayesrouter.{version}.nupkg")), "no bayesrouter pointer package");
        string patched = Directory.GetFiles(Path.Combine(DataTestPaths.RepoRoot, "src", "BayesianRouter.Cli", "obj"), "libLibTorchSharp.so", SearchOption.AllDirectories)
            .Single(f => f.Contains("torchsharp-startup-fix", StringComparison.Ordinal));
        using (var tool = ZipFile.OpenRead(toolPackage))
        {
            var packed = tool.Entries.Single(e => e.FullName == "tools/net10.0/linux-x64/libLibTorchSharp.so");
            using var s = packed.Open();
            Assert.Equal(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(patched))), Convert.ToHexString(SHA256.HashData(s)));
            Assert.DoesNotContain(tool.Entries, e => e.Name == "libtorch_python.so");
        }

        // 2. Install the tool from the folder, as a user would; run it.
        await Run("dotnet", ["tool", "install", "--tool-path", tools, "--add-source", packages, "--configfile", config, "bayesrouter", "--version", version],
            root, nugetHome, TimeSpan.FromMinutes(5));
        var bayesrouter = Path.Combine(tools, "bayesrouter");
        var printed = (await Run(bayesrouter, ["--version"], root, nugetHome, TimeSpan.FromMinutes(1))).Trim();
        // The version of Directory.Build.props (the binaries are the suite's build: the package's suffix is not in them).
        Assert.Matches($"^{Regex.Escape(RepositoryVersion())}([+-].*)?$", printed);
        var pairs = Path.Combine(work, "pairs.jsonl");
        WritePairs(pairs);
        var router = Path.Combine(work, "router.bin");
        var trained = await Run(bayesrouter, ["offline", "train", "--pairs", pairs, "--pool", "rmA,rmB", "--out", router, "--encoder-cache", Dir(root, "cache")],
            work, nugetHome, TimeSpan.FromMinutes(5));
        Assert.Contains("wrote", trained);
        Assert.True(new FileInfo(router).Length > 0);

        // 3. The sample against the packed packages, twice: it continues from the state the first run saved.
        var sample = Path.Combine(root, "samples");
        CopyFolder(Path.Combine(DataTestPaths.RepoRoot, "samples"), sample);
        File.Copy(config, Path.Combine(sample, "nuget.config"), overwrite: true);
        var project = Path.Combine(sample, "QuickStart");
        await Run("dotnet", ["build", project, "-c", "Release", $"-p:BayesRouterVersion={version}", "-nodeReuse:false", "-p:UseSharedCompilation=false"],
            sample, nugetHome, TimeSpan.FromMinutes(5));
        Assert.True(Directory.Exists(Path.Combine(nugetHome, "bayesianrouter.core", version)), "the sample did not restore BayesianRouter.Core from the packed folder");
        var dll = Path.Combine(project, "bin", "Release", "net10.0", "QuickStart.dll");
        var state = Path.Combine(work, "router.state");
        var first = await Run("dotnet", [dll, router, state], work, nugetHome, TimeSpan.FromMinutes(2));
        Assert.Matches(@"p1: rm[AB] \(p = [01]\.\d{3}\) prefers (A|B|Tie)", first);
        Assert.Contains("learned from 2 pairs, 2 in all", first);
        var second = await Run("dotnet", [dll, router, state], work, nugetHome, TimeSpan.FromMinutes(2));
        Assert.Contains("learned from 2 pairs, 4 in all", second);

        // Nothing of this run reached the machine's NuGet folder.
        Assert.False(Directory.Exists(Path.Combine(MachinePackages(), "bayesianrouter.core", version)));
    }

    [Fact]
    public void The_READMEs_example_is_the_sample()
    {
        var readme = File.ReadAllText(Path.Combine(DataTestPaths.RepoRoot, "README.md"));
        var sample = File.ReadAllText(Path.Combine(DataTestPaths.RepoRoot, "samples", "QuickStart", "Program.cs"));
        var block = Regex.Match(readme, "<!-- samples/QuickStart/Program.cs -->\\s*```csharp\\n(.*?)```", RegexOptions.Singleline);
        Assert.True(block.Success, "README.md has no ```csharp block after <!-- samples/QuickStart/Program.cs -->");
        Assert.Equal(sample.ReplaceLineEndings("\n"), block.Groups[1].Value.ReplaceLineEndings("\n"));
        Assert.InRange(sample.TrimEnd().Split('\n').Length, 10, 15);
    }

    private static string Dir(string root, string name) => Directory.CreateDirectory(Path.Combine(root, name)).FullName;

    /// <summary>The machine's NuGet global-packages folder (read-only here: a fallback for third-party packages).</summary>
    private static string MachinePackages() => Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>Only the packed folder as a source; the machine's packages as a read-only fallback folder.</summary>
    private static string WriteNuGetConfig(string root, string packages)
    {
        var path = Path.Combine(root, "nuget.config");
        new XDocument(new XElement("configuration",
            new XElement("packageSources", new XElement("clear"), new XElement("add", new XAttribute("key", "packed"), new XAttribute("value", packages))),
            new XElement("fallbackPackageFolders", new XElement("add", new XAttribute("key", "machine"), new XAttribute("value", MachinePackages()))))).Save(path);
        return path;
    }

    private static XElement Nuspec(string nupkg, string id)
    {
        Assert.True(File.Exists(nupkg), $"{nupkg} was not packed");
        using var zip = ZipFile.OpenRead(nupkg);
        using var s = zip.GetEntry($"{id}.nuspec")!.Open();
        var metadata = XDocument.Load(s).Root!.Elements().First(e => e.Name.LocalName == "metadata");
        return new XElement("metadata", metadata.Descendants().Select(e => new XElement(e.Name.LocalName, e.Attributes(), e.HasElements ? null : e.Value)));
    }

    /// <summary>Two RMs: rmA right on the "math" prompts, rmB on the "code" ones, each at random elsewhere.</summary>
    private static void WritePairs(string path)
    {
        var rng = new Random(1);
        var lines = new List<string>();
        for (int g = 0; g < 20; g++)
            for (int k = 0; k < 3; k++)
            {
                string preferred = rng.Next(2) == 0 ? "a" : "b", other = preferred == "a" ? "b" : "a", domain = g % 2 == 0 ? "math" : "code";
                object Verdict(bool right) => new { verdict = right ? preferred : other };
                lines.Add(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["id"] = $"p{g}-{k}", ["group"] = $"g{g}", ["prompt"] = $"Question {g} ({domain}): what is {g} + {k}?",
                    ["response_a"] = $"It is {g + k}.", ["response_b"] = $"It is {g + k + 1}.", ["preferred"] = preferred, ["domain"] = domain,
                    ["judgments"] = new Dictionary<string, object> { ["rmA"] = Verdict(domain == "math" || rng.Next(2) == 0), ["rmB"] = Verdict(domain == "code" || rng.Next(2) == 0) },
                }));
            }
        File.WriteAllLines(path, lines);
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(p => p is "bin" or "obj")) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(to, relative))!);
            File.Copy(file, Path.Combine(to, relative));
        }
    }

    /// <summary>
    /// Runs a command with its own NuGet global-packages folder and no MSBuild server left behind; returns its standard
    /// output. A non-zero exit or a timeout fails the test with the command, the exit code and the output's end.
    /// </summary>
    private async Task<string> Run(string file, IReadOnlyList<string> args, string workingDirectory, string nugetHome, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // The test host's MSBuild variables would steer the child's build; the child finds its own SDK.
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k is "DOTNET_HOST_PATH").ToArray())
            psi.Environment.Remove(key);
        psi.Environment["NUGET_PACKAGES"] = nugetHome;
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_CLI_DO_NOT_USE_MSBUILD_SERVER"] = "1";
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        psi.Environment["BAYESROUTER_CACHE"] = Path.Combine(workingDirectory, ".bayesrouter-cache");
        var output = new StringBuilder();
        var errors = new StringBuilder();
        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => { if (e.Data != null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (errors) errors.AppendLine(e.Data); };
        var clock = Stopwatch.StartNew();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"`{Describe(file, args)}` did not finish within {timeout.TotalSeconds:F0} s:\n{Tail(output, errors)}");
        }
        process.WaitForExit();
        log.WriteLine($"{Describe(file, args)}: {clock.Elapsed.TotalSeconds:F1} s");
        if (process.ExitCode != 0) Assert.Fail($"`{Describe(file, args)}` exited with {process.ExitCode}:\n{Tail(output, errors)}");
        lock (output) return output.ToString();
    }

    private static string Describe(string file, IReadOnlyList<string> args) => $"{Path.GetFileName(file)} {string.Join(' ', args)}";

    private static string Tail(StringBuilder output, StringBuilder errors)
    {
        string Last(StringBuilder b) { lock (b) return b.Length > 4000 ? "..." + b.ToString()[^4000..] : b.ToString(); }
        return $"{Last(output)}\n--- stderr ---\n{Last(errors)}";
    }
}
