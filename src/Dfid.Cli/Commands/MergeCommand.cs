using System.ComponentModel;
using Dfid.Running;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary><c>dfid merge DIR... --out RUN</c>: joins the shard folders of one run into a run folder that analyses as the unsharded run.</summary>
internal sealed class MergeCommand(IAnsiConsole console) : AsyncCommand<MergeCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<SHARD_DIR>")]
        [Description("The shard folders (written by `dfid run EXP --shard K/N --out DIR`).")]
        public string[] ShardDirs { get; init; } = [];

        [CommandOption("-o|--out <RUN_DIR>")]
        [Description("The merged run folder to create (new or empty).")]
        public string? Out { get; init; }

        [CommandOption("--partial")]
        [Description("Merge even when shards are missing or unfinished (without it, that is refused); `dfid run EXP --out RUN_DIR` then completes the merged run.")]
        public bool Partial { get; init; }

        public override ValidationResult Validate() =>
            string.IsNullOrWhiteSpace(Out) ? ValidationResult.Error("--out RUN_DIR is required: the merged run folder to create") : ValidationResult.Success();
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var result = new RunPipeline().MergeShards(settings.ShardDirs, settings.Out!, settings.Partial);
        Console.Error.WriteLine($"merged shards {string.Join(", ", result.Shards)} into {result.RunDir}: {result.Probes} probes");
        if (result.Missing.Count > 0) Console.Error.WriteLine($"missing (--partial): {string.Join(", ", result.Missing)}; `dfid run EXP --out {settings.Out}` completes the run");
        if (result.Unfinished.Count > 0) Console.Error.WriteLine($"unfinished (--partial): {string.Join("; ", result.Unfinished)}");
        console.WriteLine($"analyse it with: dfid analyze {settings.Out}");
        return Task.FromResult(0);
    }
}
