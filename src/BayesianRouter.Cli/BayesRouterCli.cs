using System.CommandLine;
using BayesianRouter.Cli.Commands;
using BayesianRouter.Data;

namespace BayesianRouter.Cli;

/// <summary>The <c>bayesrouter</c> command tree. Each command group lives in its own file under Commands/.</summary>
public static class BayesRouterCli
{
    public static RootCommand Build(CliIO io)
    {
        var root = new RootCommand(
            "BayesianRouter: route each preference pair to one reward model (RM) of a pool, learn offline which RM " +
            "is right on which kind of pair, and adapt online with Bayesian Thompson sampling. " +
            "See README.md for the pair-file format and the measured results.");
        root.Subcommands.Add(DataCommand.Create(io));
        root.Subcommands.Add(OfflineCommand.Create(io));
        root.Subcommands.Add(SimulateCommand.Create(io));
        root.Subcommands.Add(AlignCommand.Create(io));
        root.Subcommands.Add(BenchCommand.Create(io));
        root.Subcommands.Add(ServeCommand.Create(io));
        root.Subcommands.Add(LabelCommand.Create(io));
        root.Subcommands.Add(OpeCommand.Create(io));
        root.Subcommands.Add(ExportCommand.Create(io));
        root.Subcommands.Add(RmServeCommand.Create(io));
        return root;
    }

    public static Task<int> RunAsync(string[] args) => RunAsync(args, CliIO.Console);

    public static async Task<int> RunAsync(string[] args, CliIO io)
    {
        var root = Build(io);
        var parsed = root.Parse(args);
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = io.Out, Error = io.Err, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (IsUserError(e))
        {
            io.Err.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>Errors caused by the user's input: reported as one line, never as a stack trace.</summary>
    public static bool IsUserError(Exception e) => e is PairFileException or RewardModels.PoolFileException or CliUsageException or FileNotFoundException
        or DirectoryNotFoundException or InvalidDataException or ArgumentException or UnauthorizedAccessException;
}

/// <summary>A wrong combination of options or values: the message says what to change.</summary>
public sealed class CliUsageException(string message) : Exception(message);

/// <summary>Where a command writes: the console, or writers given by a test.</summary>
public sealed record CliIO(TextWriter Out, TextWriter Err, bool Interactive)
{
    public static CliIO Console => new(System.Console.Out, System.Console.Error,
        !System.Console.IsOutputRedirected && !System.Console.IsErrorRedirected);
}
