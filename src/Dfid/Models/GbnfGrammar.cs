using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Dfid.Models;

/// <summary>
/// Turns a JSON Schema into a llama.cpp GBNF grammar so a local model can only write JSON of that shape.
/// Covered: object (every listed property, in order), string (enum, const, minLength/maxLength), number and integer
/// (small ranges narrowed), boolean, null, array (items), type lists, anyOf/oneOf. Anything else becomes a general JSON
/// value; the answer is validated against the schema afterwards all the same.
/// </summary>
internal static class GbnfGrammar
{
    /// <summary>The grammar for <paramref name="schema"/>; its start rule is <c>root</c>.</summary>
    public static string FromSchema(JsonElement schema)
    {
        var rules = new List<string>();
        var counter = 0;
        var root = Value(schema, rules, ref counter);
        var sb = new StringBuilder();
        sb.Append("root ::= ").Append(root).Append('\n');
        foreach (var r in rules) sb.Append(r).Append('\n');
        sb.Append(Common);
        return sb.ToString();
    }

    /// <summary>A grammar for any JSON object (JSON mode without a schema).</summary>
    public static string AnyJsonObject => "root ::= object\n" + Common;

    private const string Common = """
        ws ::= " "?
        char ::= [^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F])
        string ::= "\"" char* "\""
        number ::= "-"? ([0-9] | [1-9] [0-9]{0,15}) ("." [0-9]{1,6})? ([eE] [-+]? [0-9]{1,3})?
        integer ::= "-"? ([0-9] | [1-9] [0-9]{0,15})
        boolean ::= "true" | "false"
        null ::= "null"
        value ::= object | array | string | number | boolean | null
        object ::= "{" ws ( string ws ":" ws value ( "," ws string ws ":" ws value )* )? ws "}"
        array ::= "[" ws ( value ( "," ws value )* )? ws "]"

        """;

    private static string Value(JsonElement s, List<string> rules, ref int counter)
    {
        if (s.ValueKind == JsonValueKind.True) return "value";
        if (s.ValueKind != JsonValueKind.Object) return "value";
        if (s.TryGetProperty("const", out var c)) return Literal(c);
        if (s.TryGetProperty("enum", out var e) && e.ValueKind == JsonValueKind.Array)
            return "(" + string.Join(" | ", e.EnumerateArray().Select(Literal)) + ")";
        foreach (var key in (string[])["anyOf", "oneOf"])
            if (s.TryGetProperty(key, out var alts) && alts.ValueKind == JsonValueKind.Array)
            {
                var parts = new List<string>();
                foreach (var alt in alts.EnumerateArray()) parts.Add(Value(alt, rules, ref counter));
                return "(" + string.Join(" | ", parts) + ")";
            }
        if (!s.TryGetProperty("type", out var type)) return s.TryGetProperty("properties", out _) ? Typed(s, "object", rules, ref counter) : "value";
        if (type.ValueKind == JsonValueKind.Array)
        {
            var parts = new List<string>();
            foreach (var t in type.EnumerateArray()) parts.Add(Typed(s, t.GetString() ?? "", rules, ref counter));
            return "(" + string.Join(" | ", parts) + ")";
        }
        return Typed(s, type.GetString() ?? "", rules, ref counter);
    }

    private static string Typed(JsonElement s, string type, List<string> rules, ref int counter)
    {
        switch (type)
        {
            case "string":
                var min = s.TryGetProperty("minLength", out var mn) && mn.TryGetInt32(out var a) ? a : 0;
                if (s.TryGetProperty("maxLength", out var mx) && mx.TryGetInt32(out var b))
                    return $"(\"\\\"\" char{{{min},{Math.Max(min, b)}}} \"\\\"\")";
                return min > 0 ? $"(\"\\\"\" char{{{min},}} \"\\\"\")" : "string";
            case "integer":
                return Bounded(s, integer: true) ?? "integer";
            case "number":
                return Bounded(s, integer: false) ?? "number";
            case "boolean":
                return "boolean";
            case "null":
                return "null";
            case "array":
                var item = s.TryGetProperty("items", out var items) ? Value(items, rules, ref counter) : "value";
                var arrayRule = $"arr{counter++}";
                rules.Add($"{arrayRule} ::= \"[\" ws ( {item} ( \",\" ws {item} )* )? ws \"]\"");
                return arrayRule;
            case "object":
                if (!s.TryGetProperty("properties", out var props) || props.ValueKind != JsonValueKind.Object || !props.EnumerateObject().Any())
                    return "object";
                var name = $"obj{counter++}";
                var fields = new List<string>();
                foreach (var p in props.EnumerateObject())
                    fields.Add($"{Literal(p.Name)} ws \":\" ws {Value(p.Value, rules, ref counter)}");
                rules.Add($"{name} ::= \"{{\" ws {string.Join(" \",\" ws ", fields)} ws \"}}\"");
                return name;
            default:
                return "value";
        }
    }

    // Narrow small numeric ranges (e.g. [-1, 1]) so a weak model cannot wander far outside them.
    private static string? Bounded(JsonElement s, bool integer)
    {
        if (!s.TryGetProperty("minimum", out var mn) || !s.TryGetProperty("maximum", out var mx)) return null;
        if (!mn.TryGetDouble(out var min) || !mx.TryGetDouble(out var max)) return null;
        var bound = Math.Max(Math.Abs(min), Math.Abs(max));
        if (bound >= 10) return null;
        var d = (int)Math.Floor(bound);
        var sign = min < 0 ? "\"-\"? " : "";
        var frac = integer ? "" : " (\".\" [0-9]{1,4})?";
        var below = d >= 1 ? $"[0-{d - 1}]{frac}" : $"\"0\"{frac}";
        var top = d >= 1 ? $" | \"{d}\"{(integer ? "" : " (\".0\")?")}" : "";
        return $"({sign}({below}{top}))";
    }

    private static string Literal(JsonElement value) => GbnfString(value.GetRawText());

    private static string Literal(string propertyName) => GbnfString(JsonSerializer.Serialize(propertyName));

    /// <summary>A GBNF string literal that matches exactly the JSON text <paramref name="json"/>.</summary>
    private static string GbnfString(string json)
    {
        var sb = new StringBuilder("\"");
        foreach (var ch in json)
        {
            switch (ch)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                default:
                    if (ch < 0x20) sb.Append(CultureInfo.InvariantCulture, $"\\x{(int)ch:X2}");
                    else sb.Append(ch);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }
}
