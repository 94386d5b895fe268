/**
 * A protocol function code written in an alert's prose, for vendors that give it only there
 * (Nozomi: "New function code 16 (write multiple registers) from … to …"; DNP3 / Modbus
 * sensors: "function code 0x05", "FC 16", "func code: 5"). The code must follow the words
 * "function code" / "func code" / "FC" directly, so numbers elsewhere in the text (addresses,
 * ports, counts) are never taken for one.
 */
const FUNCTION_CODE_IN_TEXT =
  /\b(?:function[ _-]?code|func(?:tion)?[ _-]?code|fc)\s*(?:[:#=]\s*)?(0x[0-9a-f]{1,4}|\d{1,3})(?!\w|\.\d)/i;

export function functionCodeInText(text: string | undefined | null): string | undefined {
  if (text === undefined || text === null) return undefined;
  return FUNCTION_CODE_IN_TEXT.exec(text)?.[1]?.toLowerCase();
}
