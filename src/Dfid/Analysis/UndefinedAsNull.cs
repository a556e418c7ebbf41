using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dfid.Analysis;

/// <summary>Writes an undefined statistic (NaN, e.g. a share of an empty group) as JSON null and reads null back as NaN, for
/// the few result fields that are plain <see cref="double"/> because they are shared with the statistics code.</summary>
internal sealed class UndefinedAsNull : JsonConverter<double>
{
    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
    {
        if (double.IsFinite(value)) writer.WriteNumberValue(value);
        else writer.WriteNullValue();
    }
}
