namespace BayesianRouter.Encoding;

/// <summary>How token vectors become one sentence vector.</summary>
public enum Pooling
{
    /// <summary>Mean of the token vectors over the attention mask (sentence-transformers' all-MiniLM-L6-v2).</summary>
    Mean,

    /// <summary>The vector of the first token, [CLS] (e.g. snowflake-arctic-embed-xs).</summary>
    Cls,
}
