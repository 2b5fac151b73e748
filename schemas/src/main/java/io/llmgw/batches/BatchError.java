package io.llmgw.batches;

/**
 * One entry of a failed batch's {@code errors.data}: what is wrong with the input file, and where.
 *
 * @param code    {@code invalid_json_line}, {@code missing_custom_id}, {@code duplicate_custom_id}, ...
 * @param message for people
 * @param param   the field at fault, or null
 * @param line    the 1-based line of the input file, or null when the problem is the whole file
 */
public record BatchError(String code, String message, String param, Integer line) {
}
