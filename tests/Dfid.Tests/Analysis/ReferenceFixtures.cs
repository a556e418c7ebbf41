using System.Globalization;

namespace Dfid.Tests.Analysis;

/// <summary>Reads the R-generated reference CSVs in Fixtures/analysis (see reference.R there).</summary>
internal static class ReferenceFixtures
{
    public static List<Dictionary<string, string>> Read(string file)
    {
        var lines = File.ReadAllLines(TestData.Fixture("analysis", file)).Where(l => l.Length > 0).ToList();
        var header = lines[0].Split(',');
        return lines.Skip(1).Select(l =>
        {
            var cells = l.Split(',');
            return header.Select((h, i) => (h, cells[i])).ToDictionary(x => x.h, x => x.Item2);
        }).ToList();
    }

    public static double Num(this Dictionary<string, string> row, string key) =>
        row[key] == "NA" ? double.NaN : double.Parse(row[key], CultureInfo.InvariantCulture);

    public static int Int(this Dictionary<string, string> row, string key) => int.Parse(row[key], CultureInfo.InvariantCulture);

    public static double[] Group(string set, string group) =>
        Read("groups.csv").Where(r => r["set"] == set && r["group"] == group).Select(r => r.Num("value")).ToArray();
}
