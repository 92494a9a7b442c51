using System.CommandLine;

namespace BayesianRouter.Cli.Commands;

/// <summary><c>bayesrouter bench</c>: speed measurements (never timed unit tests).</summary>
public static class BenchCommand
{
    public static Command Create(CliIO io)
    {
        var cmd = new Command("bench", "Measure speed: routing (select + update per pair), encoding (texts per second), the routing service (pairs per second) and the DPO loop (steps and generated tokens per second).");
        cmd.Subcommands.Add(BenchRoutingCommand.Create(io));
        cmd.Subcommands.Add(BenchEncodingCommand.Create(io));
        cmd.Subcommands.Add(BenchServeCommand.Create(io));
        cmd.Subcommands.Add(BenchAlignCommand.Create(io));
        return cmd;
    }
}
