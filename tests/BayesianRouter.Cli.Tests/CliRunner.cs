using BayesianRouter.Cli;

namespace BayesianRouter.Cli.Tests;

/// <summary>What one in-process run of <c>bayesrouter</c> returned and printed.</summary>
public sealed record CliResult(int ExitCode, string Out, string Err)
{
    /// <summary>The last non-empty line of standard output (where <c>--json</c> commands print their object).</summary>
    public string LastLine => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
}

/// <summary>Runs <c>bayesrouter</c> commands in-process with captured output (non-interactive, as under CI).</summary>
public static class CliRunner
{
    public static async Task<CliResult> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter { NewLine = "\n" };
        using var stderr = new StringWriter { NewLine = "\n" };
        int code = await BayesRouterCli.RunAsync(args, new CliIO(stdout, stderr, Interactive: false));
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }
}
