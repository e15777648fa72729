namespace WsssOnnx.Graph.Networks;

/// <summary>The one place option records report a bad field: the message names the field, the rule and the value.</summary>
internal static class OptionRules
{
    public static void Require(bool ok, string field, string rule, object? value)
    {
        if (!ok) throw new ArgumentException($"{field} {rule}; got {value ?? "null"}", field);
    }
}
