namespace WsssOnnx.Datasets;

/// <summary>Why a dataset file was refused.</summary>
public enum DatasetProblemKind
{
    /// <summary>A file or folder the dataset needs does not exist (root, list, image, annotation, required mask).</summary>
    MissingFile,

    /// <summary>A file exists but could not be read (permissions, I/O error).</summary>
    UnreadableFile,

    /// <summary>A list file has no entries.</summary>
    EmptyList,

    /// <summary>A list line is neither an id nor an "image mask" pair, names an unsafe path, or repeats an id.</summary>
    MalformedList,

    /// <summary>An annotation is not well-formed XML or lacks the VOC structure (root &lt;annotation&gt;, named objects).</summary>
    MalformedAnnotation,

    /// <summary>An annotation names a class that is not in the dataset's class list.</summary>
    UnknownClass,

    /// <summary>An image file does not decode (wraps the decoder's <see cref="WsssOnnx.Imaging.ImageDecodeException"/>).</summary>
    UndecodableImage,

    /// <summary>A segmentation mask does not decode as a label PNG or holds a value that is neither a class nor 255.</summary>
    BadMask,

    /// <summary>classes.txt is empty, repeats a name, or lists more classes than a byte label map can hold.</summary>
    BadClassList,

    /// <summary>Every sample of a list was refused under <see cref="BadSamplePolicy.Skip"/>.</summary>
    NoUsableSamples,
}
