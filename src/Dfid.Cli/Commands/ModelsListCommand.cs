using System.ComponentModel;
using System.Text.Json.Nodes;
using Dfid.Models;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary><c>dfid models list</c>: the named GGUF models and whether each is downloaded.</summary>
internal sealed class ModelsListCommand(IAnsiConsole console) : Command<ModelsListCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--dir <FOLDER>")]
        [Description("Models folder (default: the user cache folder).")]
        public string? Directory { get; init; }

        [CommandOption("--json")]
        [Description("Print the list as JSON on stdout.")]
        public bool Json { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var dir = settings.Directory ?? GgufModels.ModelsDirectory(Environment.GetEnvironmentVariable);
        var rows = GgufModels.Named.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => (Name: kv.Key, Model: kv.Value, Downloaded: File.Exists(Path.Combine(dir, kv.Value.File)))).ToList();
        if (settings.Json)
        {
            var arr = new JsonArray();
            foreach (var r in rows)
                arr.Add(new JsonObject { ["name"] = r.Name, ["url"] = r.Model.Url, ["approx_mb"] = r.Model.ApproxMb, ["license"] = r.Model.License, ["downloaded"] = r.Downloaded });
            console.Profile.Out.Writer.WriteLine(arr.ToJsonString());
            return 0;
        }
        var table = new Table().AddColumns("name", "size", "license", "downloaded");
        foreach (var r in rows) table.AddRow(Markup.Escape(r.Name), $"~{r.Model.ApproxMb} MB", Markup.Escape(r.Model.License), r.Downloaded ? "yes" : "no");
        console.Write(table);
        console.MarkupLine(Markup.Escape($"folder: {dir}"));
        return 0;
    }
}
