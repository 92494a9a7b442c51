using System.CommandLine;
using System.CommandLine.Parsing;
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
        if (parsed.Errors.Count > 0 && parsed.Action is System.CommandLine.Invocation.ParseErrorAction)
        {
            // One line, naming the option and the value (never a .NET type, never the whole help).
            var command = string.Join(' ', CommandPath(parsed.CommandResult));
            io.Err.WriteLine($"error: {ParseErrorText(parsed.Errors[0])}" + (parsed.Errors.Count > 1 ? $" (and {parsed.Errors.Count - 1} more)" : "") +
                $"; see `{command} --help`");
            return 1;
        }
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

    /// <summary>Errors caused by the user's input or the machine (a path, a port): reported as one line, never as a stack trace.</summary>
    public static bool IsUserError(Exception e) => e is PairFileException or RewardModels.PoolFileException or CliUsageException or IOException
        or InvalidDataException or ArgumentException or UnauthorizedAccessException;

    private static IEnumerable<string> CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r != null; r = r.Parent)
            if (r is CommandResult c) names.Insert(0, c.Command is RootCommand ? "bayesrouter" : c.Command.Name);
        return names;
    }

    /// <summary>
    /// A parse error in the tool's words: System.CommandLine's message on one line, the option named where it is not,
    /// and a value that does not fit the option's type said without the .NET type ("--durability fast: must be one of
    /// full, normal").
    /// </summary>
    internal static string ParseErrorText(ParseError error)
    {
        var option = error.SymbolResult switch
        {
            OptionResult o => o.Option,
            ArgumentResult { Parent: OptionResult o } => o.Option,
            _ => null,
        };
        var text = string.Join(' ', error.Message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var typeError = System.Text.RegularExpressions.Regex.Match(error.Message, "^Cannot parse argument '(?<value>.*?)' for option '(?<option>.*?)' as expected type '(?<type>.*?)'");
        if (typeError.Success)
        {
            var type = option?.ValueType is { } t ? Nullable.GetUnderlyingType(t) ?? t : null;
            string expected = type switch
            {
                { IsEnum: true } => "must be one of " + string.Join(", ", Enum.GetNames(type).Select(n => n.ToLowerInvariant())),
                _ when type == typeof(int) || type == typeof(long) => "must be a whole number",
                _ when type == typeof(double) || type == typeof(float) => "must be a number (e.g. 0.5)",
                _ when type == typeof(bool) => "must be true or false",
                _ => "is not a valid value",
            };
            return $"{typeError.Groups["option"].Value} {typeError.Groups["value"].Value}: {expected}";
        }
        var choice = System.Text.RegularExpressions.Regex.Match(text, "^Argument '(?<value>.*?)' not recognized\\. Must be one of: (?<choices>.*)$");
        if (choice.Success && option != null)
            return $"{option.Name} {choice.Groups["value"].Value}: must be one of {string.Join(", ", choice.Groups["choices"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(c => c.Trim('\'')))}";
        return option is null || text.Contains(option.Name, StringComparison.Ordinal) ? text : $"{option.Name}: {text}";
    }
}

/// <summary>A wrong combination of options or values: the message says what to change.</summary>
public sealed class CliUsageException(string message) : Exception(message);

/// <summary>Where a command writes: the console, or writers given by a test.</summary>
public sealed record CliIO(TextWriter Out, TextWriter Err, bool Interactive)
{
    public static CliIO Console => new(System.Console.Out, System.Console.Error,
        !System.Console.IsOutputRedirected && !System.Console.IsErrorRedirected);
}
