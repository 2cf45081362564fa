// asl-validator 4.0.0 ships no type declarations.
declare module "asl-validator" {
  interface AslValidatorResult {
    isValid: boolean;
    errors: { "Error code"?: string; Message?: string; message?: string; [key: string]: unknown }[];
  }
  const validator: (definition: unknown, options?: Record<string, unknown>) => AslValidatorResult;
  export default validator;
}
