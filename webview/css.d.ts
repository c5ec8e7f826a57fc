/** Style sheets bundled as text (esbuild's text loader), added with addStyle. */
declare module '*.css' {
  const text: string;
  export default text;
}
