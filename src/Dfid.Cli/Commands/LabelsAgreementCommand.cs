using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Dfid.Annotation;
using Dfid.Instrument;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary><c>dfid labels agreement</c>: pairwise agreement between the annotators of a labels file.</summary>
internal sealed class LabelsAgreementCommand(IAnsiConsole console) : AsyncCommand<LabelsAgreementCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<FILE>")]
        [Description("The dfid.labels/1 file (several annotators).")]
        public string File { get; init; } = "";

        [CommandOption("--json")]
        [Description("Print the pairs as JSON on stdout.")]
        public bool Json { get; init; }
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var labels = LabelsFile.Read(settings.File);
        var pairs = LabelAgreement.Pairwise(labels);
        if (settings.Json)
        {
            static double? N(double v) => double.IsFinite(v) ? v : null;
            var json = JsonSerializer.Serialize(pairs.Select(p => new
            {
                first = p.First,
                second = p.Second,
                n = p.N,
                accuracy = N(p.Accuracy),
                kappa_quadratic = N(p.KappaQuadratic),
                krippendorff_alpha_ordinal = N(p.AlphaOrdinal),
                action_n = p.ActionN,
                action_agreement = N(p.ActionAgreement),
            }), new JsonSerializerOptions { WriteIndented = true });
            console.Profile.Out.Writer.WriteLine(json);
        }
        else if (pairs.Count > 0)
        {
            static string F(double v) => double.IsFinite(v) ? v.ToString("0.000", CultureInfo.InvariantCulture) : "–";
            var t = new Table().Title(Markup.Escape($"agreement between annotators on the turns both labelled ({settings.File})"))
                .AddColumn("annotators").AddColumn(new TableColumn("n").RightAligned()).AddColumn(new TableColumn("same stage").RightAligned())
                .AddColumn(new TableColumn("kappa (quadratic)").RightAligned()).AddColumn(new TableColumn("alpha (ordinal)").RightAligned())
                .AddColumn(new TableColumn("actions n").RightAligned()).AddColumn(new TableColumn("same action").RightAligned());
            foreach (var p in pairs)
                t.AddRow(Markup.Escape($"{p.First} · {p.Second}"), p.N.ToString(CultureInfo.InvariantCulture), F(p.Accuracy), F(p.KappaQuadratic),
                    F(p.AlphaOrdinal), p.ActionN.ToString(CultureInfo.InvariantCulture), F(p.ActionAgreement));
            console.Write(t);
        }
        if (pairs.Count == 0)
        {
            var annotators = labels.Select(l => l.Annotator).Distinct().Count();
            Console.Error.WriteLine(annotators < 2
                ? $"{settings.File}: labels of {annotators} annotator(s); agreement needs two who labelled the same turns (run `dfid annotate` on the same store with another --annotator)."
                : $"{settings.File}: no two annotators labelled the same turn; agreement needs shared turns (label the same session's tasks).");
            return Task.FromResult(1);
        }
        return Task.FromResult(0);
    }
}
