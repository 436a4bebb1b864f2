using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;

namespace Payments.Infrastructure.Backup;

/// <summary>One table entity as one line of JSON, in Table Storage's own JSON (OData) shape: each
/// property by name, and beside every property that is not a string its type as
/// <c>Name@odata.type</c>, so a restore writes back exactly the EDM types that were read. Int64 is
/// written as a string (as OData does) so no reader loses digits; binary as base64. The service's
/// Timestamp and ETag are not kept: a restore cannot set them.</summary>
public static class EntityJson
{
    private const string TypeSuffix = "@odata.type";

    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false, SkipValidation = false };

    public static string Write(TableEntity entity)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("PartitionKey", entity.PartitionKey);
            json.WriteString("RowKey", entity.RowKey);
            foreach (var (name, value) in entity.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                if (name is "PartitionKey" or "RowKey" or "Timestamp" or "odata.etag" || value is null || name.Contains('@', StringComparison.Ordinal))
                {
                    continue;
                }

                WriteProperty(json, name, value);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static TableEntity Read(string line)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        var entity = new TableEntity(
            root.GetProperty("PartitionKey").GetString() ?? throw new FormatException("PartitionKey is null."),
            root.GetProperty("RowKey").GetString() ?? throw new FormatException("RowKey is null."));
        foreach (var property in root.EnumerateObject())
        {
            string name = property.Name;
            if (name is "PartitionKey" or "RowKey" || name.EndsWith(TypeSuffix, StringComparison.Ordinal))
            {
                continue;
            }

            string? type = root.TryGetProperty(name + TypeSuffix, out var t) ? t.GetString() : null;
            entity[name] = ReadValue(property.Value, type, name);
        }

        return entity;
    }

    private static void WriteProperty(Utf8JsonWriter json, string name, object value)
    {
        switch (value)
        {
            case string s:
                json.WriteString(name, s);
                break;
            case bool b:
                json.WriteString(name + TypeSuffix, "Edm.Boolean");
                json.WriteBoolean(name, b);
                break;
            case int i:
                json.WriteString(name + TypeSuffix, "Edm.Int32");
                json.WriteNumber(name, i);
                break;
            case long l:
                json.WriteString(name + TypeSuffix, "Edm.Int64");
                json.WriteString(name, l.ToString(CultureInfo.InvariantCulture));
                break;
            case double d:
                json.WriteString(name + TypeSuffix, "Edm.Double");
                if (double.IsFinite(d))
                {
                    json.WriteNumber(name, d);
                }
                else
                {
                    json.WriteString(name, double.IsNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
                }

                break;
            case DateTimeOffset dto:
                json.WriteString(name + TypeSuffix, "Edm.DateTime");
                json.WriteString(name, dto.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
                break;
            case DateTime dt:
                json.WriteString(name + TypeSuffix, "Edm.DateTime");
                json.WriteString(name, DateTime.SpecifyKind(dt.ToUniversalTime(), DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture));
                break;
            case Guid g:
                json.WriteString(name + TypeSuffix, "Edm.Guid");
                json.WriteString(name, g.ToString("D"));
                break;
            case byte[] bytes:
                json.WriteString(name + TypeSuffix, "Edm.Binary");
                json.WriteBase64String(name, bytes);
                break;
            case BinaryData data:
                json.WriteString(name + TypeSuffix, "Edm.Binary");
                json.WriteBase64String(name, data.ToMemory().Span);
                break;
            default:
                throw new NotSupportedException($"Property {name} has a type Table Storage does not store: {value.GetType()}.");
        }
    }

    private static object ReadValue(JsonElement value, string? type, string name) => type switch
    {
        null when value.ValueKind == JsonValueKind.String => value.GetString()!,
        null when value.ValueKind is JsonValueKind.True or JsonValueKind.False => value.GetBoolean(),
        // Unannotated numbers follow OData's inference: integral within Int32 is Int32, anything else Double.
        null when value.ValueKind == JsonValueKind.Number => value.TryGetInt32(out int i) ? (object)i : value.GetDouble(),
        "Edm.String" => value.GetString()!,
        "Edm.Boolean" => value.GetBoolean(),
        "Edm.Int32" => value.GetInt32(),
        "Edm.Int64" => value.ValueKind == JsonValueKind.String ? long.Parse(value.GetString()!, CultureInfo.InvariantCulture) : value.GetInt64(),
        "Edm.Double" => value.ValueKind == JsonValueKind.String ? ParseDouble(value.GetString()!) : value.GetDouble(),
        "Edm.DateTime" => DateTimeOffset.Parse(value.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
        "Edm.Guid" => Guid.Parse(value.GetString()!, CultureInfo.InvariantCulture),
        "Edm.Binary" => value.GetBytesFromBase64(),
        _ => throw new FormatException($"Property {name} has an unknown type '{type}' or a value that does not fit it."),
    };

    private static double ParseDouble(string text) => text switch
    {
        "NaN" => double.NaN,
        "Infinity" or "INF" => double.PositiveInfinity,
        "-Infinity" or "-INF" => double.NegativeInfinity,
        _ => double.Parse(text, CultureInfo.InvariantCulture),
    };
}
